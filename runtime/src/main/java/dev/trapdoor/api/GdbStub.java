package dev.trapdoor.api;

import dev.trapdoor.debug.gdb.GdbServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Function;

/**
 * A VM's GDB remote stub ({@link Vm#gdb(int)}): a {@link GdbServer} on loopback serving vCPU 0,
 * so {@code gdb -ex 'target remote :PORT'} debugs the guest. Breakpoints, single steps, registers
 * and guest-linear memory work on the interpreter; on KVM gdb can stop the guest and read and
 * write its state, but has no breakpoints or steps yet.
 *
 * <p>The stub runs the vCPU on its own thread while gdb lets it run; a script must not run the
 * same VM meanwhile. When gdb attaches, a run in progress elsewhere is stopped first.
 */
public final class GdbStub implements AutoCloseable {
    private final Vm vm;
    private final VcpuGdbTarget target;
    private final GdbServer server;
    private final int port;

    private GdbStub(Vm vm, VcpuGdbTarget target, GdbServer server, int port) {
        this.vm = vm;
        this.target = target;
        this.server = server;
        this.port = port;
    }

    /** Starts listening on the loopback address; port 0 picks a free one. */
    static GdbStub start(Vm vm, int port) {
        if (port < 0 || port > 0xFFFF) throw new IllegalArgumentException("a TCP port is 0..65535 (0 picks a free one), not " + port);
        VcpuGdbTarget target = new VcpuGdbTarget(vm.getVcpu());
        GdbServer server = new GdbServer(target);
        try {
            return new GdbStub(vm, target, server, server.start(port));
        } catch (IOException e) {
            target.close();
            throw new UncheckedIOException("cannot listen for gdb on port " + port + ": " + e.getMessage(), e);
        }
    }

    public Vm getVm() { return vm; }
    /** The TCP port gdb connects to on the loopback address. */
    public int getPort() { return port; }
    /** Whether a gdb is connected now. */
    public boolean isAttached() { return server.attached(); }
    /** Whether gdb killed the VM (kill or vKill): the guest stays stopped and later clients see it terminated. */
    public boolean isKilled() { return target.isKilled(); }

    /**
     * Answers the {@code monitor} commands the stub does not know itself (the shell routes them
     * into its own command set). The function runs on the stub's session thread while the guest
     * is stopped; what it returns is printed by gdb. Null removes it.
     */
    public void setMonitor(Function<String, String> fallback) {
        target.setMonitorFallback(fallback);
    }

    /** What {@code monitor command} prints in gdb (for scripts and tests). */
    public String monitor(String command) {
        return target.monitor(command);
    }

    /** The gdb command line that attaches. */
    public String getTargetCommand() {
        return "target remote :" + port;
    }

    /** Ends the session (the guest stays stopped where gdb left it), stops listening and removes gdb's breakpoints. */
    @Override
    public void close() {
        target.beginClose();
        server.close();
        target.close();
    }

    @Override
    public String toString() {
        return "gdb stub for " + vm.getName() + " on loopback port " + port + " (in gdb: " + getTargetCommand() + ")";
    }
}
