package org.cijwt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.fixtures.TestKeys;
import org.cijwt.testkit.TestKeyRings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token client beside each token socket (--token-client): what the agent refuses to put into every
 * container, what it links, and that neither the socket nor the link outlives a container, also one that
 * went while the agent was down.
 */
class TokenClientTest {
    @TempDir
    Path dir;

    private Path binary(String mode) throws Exception {
        Path b = dir.resolve("bin/ci-jwt-runtime");
        Files.createDirectories(b.getParent());
        Files.writeString(b, "#!/bin/sh\necho client\n");
        Files.setPosixFilePermissions(b, PosixFilePermissions.fromString(mode));
        return b;
    }

    /** A bundle whose config.json a delivery can patch; no pid file, so the agent takes it for alive. */
    private Path bundle() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"],\"cwd\":\"/\","
                + "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"rootfs\"}}");
        return bundle;
    }

    /** An agent whose default profile allows requests, with {@code client} as its token client (null: none). */
    private static Agent agent(Path state, Path client) throws Exception {
        AgentConfig config = AgentConfig.parse(String.join("\n",
                "issuer: https://ci.example.test",
                "profiles:",
                "  default:",
                "    tokens: [{name: jwt, audiences: [vault], ttl: 10m}]",
                "    on_request: {audiences: [sts.amazonaws.com], max_ttl: 15m, rate_per_minute: 60}",
                ""), "test agent config", null);
        return Agent.builder(TestKeyRings::signing, config, state).tokenClient(client).scheduler(new HandScheduler(System::nanoTime))
                .start();
    }

    private static void createC1(Agent agent, Path bundle) throws Exception {
        agent.create(new ContainerService.CreateRequest("c1", bundle,
                Optional.of(new ObjectMapper().readTree(TestKeys.metadata("main"))), Optional.empty()));
    }

    @Test
    void installWhenTheBinaryIsSoundThenAReadOnlyCopyThatLinksIntoTheTokenRoot() throws Exception {
        Path tokens = Files.createDirectories(dir.resolve("state/tokens"));
        Path copy = TokenClient.install(binary("rwxr-xr-x"), dir.resolve("state/client"), tokens);
        assertThat(copy).hasContent("#!/bin/sh\necho client\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("r-xr-xr-x");
        assertThat(Files.list(tokens)).as("the link check leaves nothing").isEmpty();
        assertThat(Files.list(copy.getParent())).containsExactly(copy);

        Path link = TokenClient.link(copy, Files.createDirectories(tokens.resolve("c1")));
        assertThat(Files.isSameFile(link, copy)).isTrue();
        TokenClient.removeLink(link.getParent());
        assertThat(link).doesNotExist();
        assertThat(copy).exists();
    }

    @Test
    void installWhenTheBinaryIsWritableByOthersOrNotAFileThenRefusedNamingIt() throws Exception {
        Path tokens = Files.createDirectories(dir.resolve("state/tokens"));
        Path writable = binary("rwxrwxr-x");
        assertThatThrownBy(() -> TokenClient.install(writable, dir.resolve("state/client"), tokens))
                .isInstanceOfSatisfying(CiJwtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.SETTING_INVALID))
                .hasMessage("--token-client " + writable + ": writable by its group or others (rwxrwxr-x); a binary every task runs"
                        + " must be its owner's alone");
        assertThatThrownBy(() -> TokenClient.install(dir.resolve("bin"), dir.resolve("state/client"), tokens))
                .hasMessage("--token-client " + dir.resolve("bin") + ": not a regular file");
        Path missing = dir.resolve("nowhere/ci-jwt-runtime");
        assertThatThrownBy(() -> TokenClient.install(missing, dir.resolve("state/client"), tokens))
                .hasMessage("--token-client " + missing + ": not a regular file");
        assertThat(dir.resolve("state/client")).doesNotExist();
    }

    @Test
    void agentWhenRestartedAfterAContainerWentThenItsTokenDirectoryGoesWholeWithTheSocketAndTheClient() throws Exception {
        Path bundle = bundle();
        Path state = dir.resolve("state");
        Path tokenDir = state.resolve("tokens/c1");
        try (Agent agent = agent(state, binary("rwxr-xr-x"))) {
            createC1(agent, bundle);
            assertThat(Files.list(tokenDir).map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("jwt", TokenSockets.SOCKET_NAME, TokenClient.NAME);
            assertThat(Files.isSameFile(tokenDir.resolve(TokenClient.NAME), state.resolve("client").resolve(TokenClient.NAME))).isTrue();
        }
        // A crash leaves c1's record, its token files, a socket file no one listens on and the client's link;
        // a clean stop removed the last two, so they are put back as a SIGKILL leaves them.
        assertThat(tokenDir.resolve("jwt")).exists();
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(tokenDir.resolve(TokenSockets.SOCKET_NAME)));
        }
        TokenClient.link(state.resolve("client").resolve(TokenClient.NAME), tokenDir);
        assertThat(Files.exists(tokenDir.resolve(TokenSockets.SOCKET_NAME), LinkOption.NOFOLLOW_LINKS)).isTrue();
        // c1's init process is gone: the next start cleans up after it.
        Process init = new ProcessBuilder("true").start();
        assertThat(init.waitFor()).isZero();
        Files.writeString(bundle.resolve("init.pid"), Long.toString(init.pid()));
        try (Agent agent = agent(state, null)) {
            assertThat(tokenDir).as("removed whole: token files, socket and the client's link").doesNotExist();
        }
    }

    @Test
    void agentWhenRestartedWithANewClientThenALiveContainerGetsTheNewCopyBesideItsSocket() throws Exception {
        Path bundle = bundle();
        Path state = dir.resolve("state");
        Path link = state.resolve("tokens/c1").resolve(TokenClient.NAME);
        Path binary = binary("rwxr-xr-x");
        try (Agent agent = agent(state, binary)) {
            createC1(agent, bundle);
            assertThat(link).hasContent("#!/bin/sh\necho client\n");
        }
        // The operator upgrades the client; c1 still runs (no pid file: the agent cannot tell it has gone).
        Files.writeString(binary, "#!/bin/sh\necho client 2\n");
        try (Agent agent = agent(state, binary)) {
            assertThat(link).as("adopted, and linked to the new copy").hasContent("#!/bin/sh\necho client 2\n");
            assertThat(Files.isSameFile(link, state.resolve("client").resolve(TokenClient.NAME))).isTrue();
        }
    }
}
