package dev.trapdoor.debug.gdb;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * A GDB remote serial protocol stub for one {@link GdbTarget}: {@code target remote :PORT}
 * from gdb attaches. It listens on loopback by default, serves one client at a time (a second
 * one is refused while the first is attached) and runs on its own threads. A client that
 * connects stops the target ({@link GdbTarget#attach()}); when it detaches, disconnects or the
 * server closes, its breakpoints are removed and the target runs free ({@link GdbTarget#detach()}).
 */
public final class GdbServer implements AutoCloseable {
    static final System.Logger LOG = System.getLogger(GdbServer.class.getName());

    private final GdbTarget target;
    private ServerSocket server;
    private Thread acceptor;
    private volatile Socket client;
    private volatile Thread session;

    public GdbServer(GdbTarget target) {
        this.target = target;
    }

    /** Listens on the loopback address; port 0 picks a free port. Returns the port. */
    public int start(int port) throws IOException {
        return start(InetAddress.getLoopbackAddress(), port);
    }

    public synchronized int start(InetAddress address, int port) throws IOException {
        if (server != null) throw new IllegalStateException("already started on port " + port());
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(address, port), 1);
        server = s;
        acceptor = Thread.ofPlatform().daemon().name("gdb-stub-accept:" + s.getLocalPort()).start(this::acceptLoop);
        LOG.log(INFO, "gdb stub listening on " + s.getLocalSocketAddress());
        return s.getLocalPort();
    }

    /** The listening port, or -1 before start. */
    public synchronized int port() {
        return server == null ? -1 : server.getLocalPort();
    }

    /** Whether a client is attached now. */
    public boolean attached() {
        return client != null;
    }

    private void acceptLoop() {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                LOG.log(WARNING, "gdb stub accept failed", e);
                return;
            }
            if (attached()) {
                LOG.log(INFO, "refusing a second gdb client from " + s.getRemoteSocketAddress());
                closeQuietly(s);
                continue;
            }
            client = s;
            session = Thread.ofPlatform().daemon().name("gdb-stub-session").start(new GdbSession(s, target, () -> client = null));
        }
    }

    /** Stops listening and ends the current session (the target is released as on a detach). */
    @Override
    public void close() {
        ServerSocket s;
        synchronized (this) {
            s = server;
        }
        if (s != null) closeQuietly(s);
        Socket c = client;
        if (c != null) closeQuietly(c);
        try {
            if (acceptor != null) acceptor.join(5000);
            Thread t = session;
            if (t != null) t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing to end a connection: nothing left to do if it fails
        }
    }
}
