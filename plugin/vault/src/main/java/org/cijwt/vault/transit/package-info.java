/**
 * The OpenBao/Vault Transit key source ({@code --keys transit:MOUNT/KEY}): the private key never
 * leaves Vault; ci-jwt reads the versions' public keys and asks Transit for each signature.
 */
package org.cijwt.vault.transit;
