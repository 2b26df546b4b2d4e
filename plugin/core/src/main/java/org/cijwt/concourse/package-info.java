/**
 * Build identity from Concourse itself: {@link org.cijwt.concourse.ConcourseClient} asks
 * Concourse's API, as a user the operator names ({@link org.cijwt.concourse.ConcourseSettings}),
 * which build a container handle belongs to ({@link org.cijwt.concourse.Identity}) and whether
 * a build has ended ({@link org.cijwt.concourse.BuildStatus}), so that nothing a container's
 * author controls decides the claims.
 */
package org.cijwt.concourse;
