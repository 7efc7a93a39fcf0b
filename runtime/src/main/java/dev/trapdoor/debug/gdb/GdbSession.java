package dev.trapdoor.debug.gdb;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.WARNING;

/**
 * One client connection, all-stop mode. Three threads meet in one queue: a reader turns socket
 * bytes into {@link RspEvent}s, a waiter blocks in {@link GdbTarget#waitForStop()} while the
 * target runs, and this thread consumes both, so it alone writes to the socket and calls the
 * target. While the target runs only 0x03 (Ctrl-C) means anything from the client.
 */
final class GdbSession implements Runnable {
    private static final long STOP_ON_DISCONNECT_MS = 2000;

    private final Socket socket;
    private final GdbTarget target;
    private final GdbCommands commands;
    private final BlockingQueue<RspEvent> events = new LinkedBlockingQueue<>();
    private final I386Registers regs = new I386Registers();
    private RspWriter out;
    private boolean ackMode = true, running, interruptSent, ended, released;
    private StopEvent lastStop = StopEvent.stepped();
    private Thread waiter;

    private final Runnable onEnd;

    /** onEnd runs after the target is released and before the socket closes, so a client that sees the close can attach again. */
    GdbSession(Socket socket, GdbTarget target, Runnable onEnd) {
        this.socket = socket;
        this.target = target;
        this.onEnd = onEnd;
        this.commands = new GdbCommands(target);
    }

    @Override
    public void run() {
        try {
            socket.setTcpNoDelay(true);
            out = new RspWriter(new BufferedOutputStream(socket.getOutputStream()));
            RspReader in = new RspReader(new BufferedInputStream(socket.getInputStream()));
            Thread.ofPlatform().daemon().name("gdb-stub-reader").start(() -> readLoop(in));
            lastStop = target.attach();
            loop();
        } catch (IOException e) {
            GdbServer.LOG.log(DEBUG, "gdb connection ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            GdbServer.LOG.log(WARNING, "gdb session failed", e);
        } finally {
            release();
            onEnd.run();
            try {
                socket.close();
            } catch (IOException e) {
                GdbServer.LOG.log(DEBUG, "closing the gdb connection: " + e.getMessage());
            }
        }
    }

    private void readLoop(RspReader in) {
        String why = "end of stream";
        try {
            for (RspEvent e; (e = in.next()) != null; ) events.add(e);
        } catch (IOException e) {
            why = e.getMessage();
        }
        events.add(new RspEvent.Closed(why));
    }

    private void loop() throws IOException, InterruptedException {
        while (!ended) {
            switch (events.take()) {
                case RspEvent.Packet p -> {
                    if (ackMode) out.ack();
                    String text = new String(p.data(), StandardCharsets.ISO_8859_1);
                    if (running) GdbServer.LOG.log(DEBUG, "packet while running ignored: " + text);
                    else dispatch(text);
                }
                case RspEvent.Bad b -> {
                    GdbServer.LOG.log(DEBUG, "bad packet: " + b.why());
                    if (b.checksum()) {
                        if (ackMode) out.nak();
                    } else {
                        if (ackMode) out.ack();
                        if (!running) out.send(GdbCommands.E_MALFORMED);
                    }
                }
                case RspEvent.Interrupt i -> {
                    if (running && !interruptSent) {
                        interruptSent = true;
                        target.interrupt();
                    }
                }
                case RspEvent.Nak n -> {
                    if (ackMode) out.retransmit();
                }
                case RspEvent.Ack a -> { }
                case RspEvent.Stopped s -> {
                    running = false;
                    waiter = null;
                    lastStop = s.stop();
                    sendStop();
                }
                case RspEvent.Closed c -> ended = true;
            }
        }
    }

    private void dispatch(String p) throws IOException {
        try {
            if (commands.handle(p, out)) return;
            if (p.equals("?")) sendStop();
            else if (p.startsWith("vCont?")) out.send("vCont;c;C;s;S");
            else if (p.startsWith("vCont;")) vCont(p);
            else if (!p.isEmpty() && "cCsS".indexOf(p.charAt(0)) >= 0) resumeCommand(p);
            else if (p.startsWith("qRcmd,")) monitor(p.substring(6));
            else if (p.equals("QStartNoAckMode")) {
                out.send("OK");
                ackMode = false;
            } else if (p.startsWith("D")) {
                out.send("OK");
                release();
                ended = true;
            } else if (p.equals("k") || p.startsWith("vKill")) {
                if (p.startsWith("vKill")) out.send("OK");
                kill();
            } else {
                out.send(""); // unsupported: the protocol's empty reply
            }
        } catch (RuntimeException e) {
            GdbServer.LOG.log(WARNING, "target failed on packet " + abbreviate(p), e);
            out.send(GdbCommands.E_MALFORMED);
        }
    }

    /** c [addr], s [addr], C sig[;addr], S sig[;addr]. The signal has no meaning for a VM and is dropped. */
    private void resumeCommand(String p) throws IOException {
        boolean step = p.charAt(0) == 's' || p.charAt(0) == 'S';
        String addr = p.substring(1);
        if (p.charAt(0) == 'C' || p.charAt(0) == 'S') {
            int semi = addr.indexOf(';');
            if (Hex.parse(addr, 0, semi < 0 ? addr.length() : semi) < 0) {
                out.send(GdbCommands.E_MALFORMED);
                return;
            }
            addr = semi < 0 ? "" : addr.substring(semi + 1);
        }
        long a = addr.isEmpty() ? 0 : Hex.parse(addr);
        if (a < 0 || a > 0xFFFF_FFFFL) {
            out.send(GdbCommands.E_MALFORMED);
            return;
        }
        go(step, addr.isEmpty() ? -1 : a);
    }

    /** vCont;action[:thread];... The first action that names thread 1 (or no thread) is ours. */
    private void vCont(String p) throws IOException {
        for (String action : p.substring(6).split(";")) {
            int colon = action.indexOf(':');
            if (colon >= 0 && !GdbCommands.threadOk(action.substring(colon + 1))) continue;
            String a = colon < 0 ? action : action.substring(0, colon);
            boolean valid = switch (a.isEmpty() ? ' ' : a.charAt(0)) {
                case 'c', 's' -> a.length() == 1;
                case 'C', 'S' -> a.length() == 3 && Hex.parse(a, 1, 3) >= 0;
                default -> false;
            };
            if (!valid) break;
            go(a.charAt(0) == 's' || a.charAt(0) == 'S', -1);
            return;
        }
        out.send(GdbCommands.E_MALFORMED);
    }

    private void go(boolean step, long address) throws IOException {
        if (lastStop.isFinal()) { // nothing left to run: say so again
            sendStop();
            return;
        }
        if (address >= 0) {
            target.readRegisters(regs);
            regs.set(I386Layout.EIP, (int) address);
            target.writeRegisters(regs);
        }
        if (step) target.step();
        else target.resume();
        running = true;
        interruptSent = false;
        waiter = Thread.ofVirtual().name("gdb-stub-wait").start(this::awaitStop);
    }

    private void awaitStop() {
        StopEvent stop;
        try {
            stop = target.waitForStop();
        } catch (InterruptedException e) {
            return;
        } catch (RuntimeException e) {
            GdbServer.LOG.log(WARNING, "waitForStop failed; reporting SIGTRAP", e);
            stop = StopEvent.signal(StopEvent.SIGTRAP);
        }
        events.add(new RspEvent.Stopped(stop));
    }

    /** The stop reply: T with expedited eip/esp/ebp and the reason, or W/X once the VM is gone. */
    private void sendStop() throws IOException {
        StopEvent s = lastStop;
        StringBuilder r = new StringBuilder(64);
        switch (s.kind()) {
            case EXITED -> Hex.appendByte(r.append('W'), s.status());
            case TERMINATED -> Hex.appendByte(r.append('X'), s.signal());
            case SIGNAL -> {
                Hex.appendByte(r.append('T'), s.signal());
                r.append("thread:1;");
                try {
                    target.readRegisters(regs);
                    for (int reg : new int[] {I386Layout.EIP, I386Layout.ESP, I386Layout.EBP}) {
                        Hex.appendByte(r, reg);
                        Hex.appendLe32(r.append(':'), regs.get(reg));
                        r.append(';');
                    }
                } catch (RuntimeException e) { // gdb reads them with g instead
                    GdbServer.LOG.log(WARNING, "reading registers for the stop reply failed", e);
                }
                if (s.reason() != StopEvent.Reason.NONE) {
                    r.append(s.reason().key).append(':');
                    if (s.reason() != StopEvent.Reason.SWBREAK && s.reason() != StopEvent.Reason.HWBREAK) {
                        r.append(Long.toHexString(s.address()));
                    }
                    r.append(';');
                }
            }
        }
        out.send(r.toString());
    }

    /** qRcmd,hex: the command's output goes out as O packets (hex text), then OK. */
    private void monitor(String hex) throws IOException {
        byte[] cmd = new byte[hex.length() / 2];
        if (hex.length() % 2 != 0 || !Hex.decode(hex, 0, cmd, cmd.length)) {
            out.send(GdbCommands.E_MALFORMED);
            return;
        }
        String text;
        boolean failed = false;
        try {
            text = target.monitor(new String(cmd, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            text = "error: " + e.getMessage() + "\n";
            failed = true;
        }
        byte[] b = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
        int chunk = RspReader.MAX_PACKET / 2 - 8;
        for (int i = 0; i < b.length; i += chunk) {
            StringBuilder o = new StringBuilder("O");
            Hex.append(o, b, i, Math.min(chunk, b.length - i));
            out.send(o.toString());
        }
        out.send(failed ? GdbCommands.E_MALFORMED : "OK");
    }

    private void kill() {
        released = true;
        ended = true;
        try {
            target.kill();
        } catch (RuntimeException e) {
            GdbServer.LOG.log(WARNING, "kill failed", e);
        }
    }

    /**
     * Gives the target back when the client leaves: stop it if it runs (a breakpoint must not
     * be removed under a running vCPU), remove what the client placed, and let it run free.
     */
    private void release() {
        if (released) return;
        released = true;
        try {
            if (running && !awaitStopAfterInterrupt()) return;
            if (lastStop.isFinal()) return;
            commands.removeAllBreakpoints();
            target.detach();
        } catch (RuntimeException e) {
            GdbServer.LOG.log(WARNING, "releasing the target failed", e);
        }
    }

    private boolean awaitStopAfterInterrupt() {
        for (RspEvent e; (e = events.poll()) != null; ) { // it may have stopped already
            if (e instanceof RspEvent.Stopped s) {
                running = false;
                lastStop = s.stop();
                return true;
            }
        }
        target.interrupt();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_ON_DISCONNECT_MS);
        try {
            for (long left; (left = deadline - System.nanoTime()) > 0; ) {
                RspEvent e = events.poll(left, TimeUnit.NANOSECONDS);
                if (e instanceof RspEvent.Stopped s) {
                    running = false;
                    lastStop = s.stop();
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        GdbServer.LOG.log(WARNING, "target did not stop after the client left; its breakpoints stay");
        if (waiter != null) waiter.interrupt();
        return false;
    }

    private static String abbreviate(String p) {
        return p.length() <= 40 ? p : p.substring(0, 40) + "...";
    }
}
