package org.cijwt.agent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.cijwt.delivery.TokenDirectory;
import org.cijwt.errors.CiJwtException;
import org.cijwt.errors.ErrorCode;
import org.cijwt.io.FileOwner;

/**
 * The Unix sockets containers ask for tokens on: one listener per container, its socket file
 * {@value #SOCKET_NAME} in that container's token directory (so only that container, and root on
 * the host, can reach it), served with Netty's native epoll transport because only it gives the
 * peer's PID ({@code SO_PEERCRED}); the JDK's Unix sockets give none. HTTP/1.1,
 * {@code POST /v1/tokens} only; each request goes to the {@link Handler} with the container the
 * socket belongs to and the peer's PID, off the event loop (signing may take a while).
 */
final class TokenSockets implements AutoCloseable {
    /** The socket's name in the token directory; in the container {@code /var/run/secrets/concourse-ci/token.sock}. */
    static final String SOCKET_NAME = "token.sock";
    static final String PATH = "/v1/tokens";
    /** A request body is a few audiences and a lifetime. */
    static final int MAX_BODY_BYTES = 16 * 1024;
    /** Open connections one container may hold; one more is closed at once. */
    static final int MAX_CONNECTIONS_PER_CONTAINER = 64;
    /** {@code sun_path}'s size on Linux: a socket's path, with its NUL, fits in it. */
    static final int MAX_SOCKET_PATH = 108;
    private static final AtomicInteger BIND_NAMES = new AtomicInteger();
    /** A connection idle this long is closed. */
    static final int IDLE_SECONDS = 120;

    /** Answers one request: the container the socket belongs to, the peer's PID in the agent's namespace, the body. */
    interface Handler {
        Answer handle(String containerId, int peerPid, String body);
    }

    /** An HTTP status and a JSON body. */
    record Answer(int status, String json) {
        /** The answer to every request once the container's socket is closed. */
        static Answer ended(String containerId) {
            return new Answer(410, error(ErrorCode.REQUEST_CONTAINER_ENDED.id(), "container " + containerId
                    + " has ended; the agent no longer serves it"));
        }
    }

    private final EventLoopGroup group;
    private final ExecutorService work;
    /** The token client linked beside each socket ({@link TokenClient}), or null for none. */
    private final Path client;

    private TokenSockets(EventLoopGroup group, ExecutorService work, Path client) {
        this.group = group;
        this.work = work;
        this.client = client;
    }

    /**
     * One event loop for every container's socket and two threads to sign on; {@code client}, when not
     * null, is {@link TokenClient#link linked} beside each socket.
     *
     * @throws CiJwtException when Netty's native epoll transport cannot load here
     */
    static TokenSockets start(Path client) throws CiJwtException {
        if (!Epoll.isAvailable()) {
            throw new CiJwtException(ErrorCode.SETTING_INVALID, "a profile sets on_request, but token sockets need Netty's native"
                    + " epoll transport (Linux x86_64), which cannot load here: " + Epoll.unavailabilityCause());
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService work = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "ci-jwt-token-request-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new TokenSockets(new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()), work, client);
    }

    /** One container's listener; closing it cuts every open connection and removes the socket file. */
    final class Listener implements AutoCloseable {
        private final String containerId;
        private final TokenDirectory directory;
        private final Path socket;
        private final Handler handler;
        private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        private volatile Channel server;
        private volatile boolean closed;

        private Listener(String containerId, TokenDirectory directory, Path socket, Handler handler) {
            this.containerId = containerId;
            this.directory = directory;
            this.socket = socket;
            this.handler = handler;
        }

        Path socket() {
            return socket;
        }

        /** Stops listening, closes every open connection (a kept-open one gets nothing more) and removes the socket; returns how many were open. */
        @Override
        public synchronized void close() {
            closed = true;
            if (server != null) {
                server.close().syncUninterruptibly();
            }
            connections.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            try {
                removeFiles(directory);
            } catch (IOException e) {
                // Nothing listens on the socket any more; the container's clean-up names what it leaves.
            }
        }

        int openConnections() {
            return connections.size();
        }
    }

    /**
     * Binds {@code directory}'s {@value #SOCKET_NAME} for the container: the file belongs to the
     * task's user (who reads the token files), mode 0600; a stale socket left by an earlier agent is
     * replaced.
     */
    Listener open(String containerId, TokenDirectory directory, Handler handler) throws IOException {
        Path socket = directory.path().resolve(SOCKET_NAME);
        Listener listener = new Listener(containerId, directory, socket, handler);
        FileOwner owner = directory.access().fileOwner();
        directory.whileWritable(dir -> {
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                if (!isSocket(socket)) {
                    throw new IOException(socket + " exists and is not a socket");
                }
                Files.delete(socket);
            }
            ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            if (listener.closed || listener.connections.size() >= MAX_CONNECTIONS_PER_CONTAINER) {
                                ch.close();
                                return;
                            }
                            listener.connections.add(ch);
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS), new HttpServerCodec(),
                                    new HttpObjectAggregator(MAX_BODY_BYTES, true) {
                                        @Override
                                        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
                                            reply(ctx, new Answer(413, error(ErrorCode.REQUEST_INVALID.id(), "request body over "
                                                    + MAX_BODY_BYTES + " bytes")), false);
                                        }
                                    }, new RequestHandler(listener));
                        }
                    });
            // A socket's path must fit sun_path (108 bytes); the token directory's may not (a long
            // --state-dir, a 64-character container id). So it is bound under a short name in the
            // token root (owner-only, the same file system), made the task's, and renamed into place:
            // a socket is found by its inode, so connecting to the new name reaches the listener.
            Path bind = dir.getParent().resolve(".bind-" + BIND_NAMES.incrementAndGet());
            if (bind.toString().getBytes(StandardCharsets.UTF_8).length >= MAX_SOCKET_PATH) {
                throw new IOException("the agent's state directory " + dir.getParent().getParent() + " is too long a path for a"
                        + " Unix socket (at most about " + (MAX_SOCKET_PATH - 30) + " bytes); choose a shorter --state-dir");
            }
            Files.deleteIfExists(bind);
            try {
                listener.server = b.bind(new DomainSocketAddress(bind.toString())).sync().channel();
            } catch (Exception e) {
                throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
            }
            try {
                Files.setPosixFilePermissions(bind, PosixFilePermissions.fromString("rw-------"));
                owner.applyTo(bind);
                Files.move(bind, socket, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                if (client != null) {
                    TokenClient.link(client, dir);
                }
            } catch (IOException e) {
                listener.server.close().syncUninterruptibly();
                Files.deleteIfExists(bind);
                Files.deleteIfExists(socket);
                throw e;
            }
            return null;
        });
        return listener;
    }

    /**
     * Removes what a socket put into a token directory, its socket file and the client's link, so that
     * the container's clean-up finds only the token files it wrote; also for a container that went while
     * the agent was down, whose socket no listener had any more.
     */
    static void removeFiles(TokenDirectory directory) throws IOException {
        directory.whileWritable(dir -> {
            Path socket = dir.resolve(SOCKET_NAME);
            if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && isSocket(socket)) {
                Files.delete(socket);
            }
            TokenClient.removeLink(dir);
            return null;
        });
    }

    /** Whether {@code path} is a Unix socket itself ({@code S_IFSOCK}), not a link to one. */
    private static boolean isSocket(Path path) throws IOException {
        return (((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0170000) == 0140000;
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Listener listener;

        RequestHandler(Listener listener) {
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (!request.decoderResult().isSuccess()) {
                reply(ctx, new Answer(400, error(ErrorCode.REQUEST_INVALID.id(), "not an HTTP request")), false);
                return;
            }
            String path = request.uri().split("\\?", 2)[0];
            if (!PATH.equals(path)) {
                reply(ctx, new Answer(404, error("not_found", "no such endpoint: " + printable(path) + " (POST " + PATH + ")")), keepAlive);
                return;
            }
            if (!HttpMethod.POST.equals(request.method())) {
                reply(ctx, new Answer(405, error("method_not_allowed", "use POST " + PATH)), keepAlive);
                return;
            }
            int pid;
            try {
                pid = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials().pid();
            } catch (IOException e) {
                pid = 0;
            }
            String body = request.content().toString(StandardCharsets.UTF_8);
            int peer = pid;
            // One request at a time per connection: the answer goes out before the next is read.
            ctx.channel().config().setAutoRead(false);
            work.execute(() -> {
                Answer a = listener.closed ? Answer.ended(listener.containerId) : listener.handler.handle(listener.containerId, peer, body);
                ctx.channel().eventLoop().execute(() -> {
                    reply(ctx, a, keepAlive && !listener.closed);
                    ctx.channel().config().setAutoRead(true);
                });
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                super.userEventTriggered(ctx, evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void reply(ChannelHandlerContext ctx, Answer a, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status()),
                Unpooled.copiedBuffer(a.json(), StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    static String error(String code, String message) {
        return AgentApi.JSON.createObjectNode().put("error", message).put("code", code).toString();
    }

    private static String printable(String s) {
        return org.cijwt.errors.Printable.of(s.length() > 80 ? s.substring(0, 80) : s);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        work.shutdownNow();
    }
}
