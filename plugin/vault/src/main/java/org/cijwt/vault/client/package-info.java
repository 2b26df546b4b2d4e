/**
 * The one Vault client, shared by the var source ({@code org.cijwt.vault}) and the Transit key
 * source ({@code org.cijwt.vault.transit}): {@link org.cijwt.vault.client.VaultClient} speaks HTTP
 * (deadlines, retries, one answer and one failure type), {@link org.cijwt.vault.client.TlsMaterial}
 * makes its TLS context from PEM read by core's {@code PemReader}, and
 * {@link org.cijwt.vault.client.VaultTokens} keeps a token: login, renewal, replacement, revocation.
 */
package org.cijwt.vault.client;
