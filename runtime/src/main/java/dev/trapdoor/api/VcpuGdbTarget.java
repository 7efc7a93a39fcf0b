package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.cpu.fpu.X87;
import dev.trapdoor.debug.gdb.BreakpointType;
import dev.trapdoor.debug.gdb.GdbTarget;
import dev.trapdoor.debug.gdb.I386Layout;
import dev.trapdoor.debug.gdb.I386Registers;
import dev.trapdoor.debug.gdb.StopEvent;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link GdbTarget} over one API {@link Vcpu}. The vCPU runs on this target's own thread (a run
 * or a one-instruction step per resume/step, and a free run after a detach); each run's
 * {@link RunResult} becomes a {@link StopEvent} in a queue that {@link #waitForStop()} takes
 * from. Registers, memory and breakpoints are touched only while that thread is idle; the queue
 * hand-over orders those accesses with the runs.
 *
 * <p>Memory is guest-linear: each page is translated with {@link Vcpu#translate(long)} (no
 * side effects) and read or written in guest-physical memory, RAM and ROM only, never MMIO.
 * Writes go through {@link PhysicalMemory}, which invalidates decoded code they overwrite.
 * Breakpoints, software and hardware alike, are the VM's invisible address breakpoints
 * ({@link Vm#breakAt}: any number on the interpreter, four on KVM in DR0-DR3); single steps are the
 * interpreter's instruction count or KVM's single-step trap; watchpoints (Z2-Z4) are the VM's
 * linear watchpoints ({@link Vm#watch}: any range on the interpreter, DR0-DR3 on KVM), reported
 * after the accessing instruction with the watched address.
 */
final class VcpuGdbTarget implements GdbTarget {
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final int INTEGER_BYTES = I386Layout.offset(I386Layout.ST0);

    private record Stop(RunResult result, StopEvent event) {}

    private record Key(BreakpointType type, long linear, int length) {}

    private final Vm vm;
    private final Vcpu vcpu;
    private final PhysicalMemory phys;
    private final ExecutorService runner;
    private final BlockingQueue<Stop> stops = new LinkedBlockingQueue<>();
    private final Map<Key, Breakpoint> breakpoints = new ConcurrentHashMap<>();
    private final I386Registers current = new I386Registers();

    private final Object runLock = new Object();
    /** A run or step is in progress on the run thread. Guarded by runLock, as are the two below. */
    private boolean busy;
    /** {@link #interrupt()} asked the current run to stop. */
    private boolean stopRequested;
    /**
     * A stop request may have arrived after its run had ended: the backend keeps such a request
     * for its next entry, which must not end a later resume (GdbTarget#interrupt's contract).
     */
    private boolean staleStopMayRemain;

    private volatile RunResult lastResult;
    private volatile StopEvent lastStop = StopEvent.stepped();
    private volatile boolean killed, closing;
    private volatile Function<String, String> monitorFallback;
    /** Where the x87 state comes from: the interpreter's live unit; null (KVM) shows empty registers. */
    volatile Supplier<X87> x87;

    VcpuGdbTarget(Vcpu vcpu) {
        this.vm = vcpu.getVm();
        this.vcpu = vcpu;
        this.phys = vm.getMem().physical();
        this.x87 = vcpu::x87;
        this.runner = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("gdb-run:" + vm.getName()).factory());
    }

    // ---- attach, run, stop

    @Override
    public StopEvent attach() {
        if (killed) return StopEvent.terminated(StopEvent.SIGKILL);
        boolean ours;
        synchronized (runLock) {
            ours = busy;
        }
        if (ours) { // running free since the last detach
            interrupt();
            return awaitStop().event();
        }
        if (vcpu.isRunning()) stopForeignRun();
        Stop free = null;
        for (Stop s; (s = stops.poll()) != null; ) free = s;
        if (free != null) { // a free run that ended on its own: say how
            lastResult = free.result();
            return lastStop = free.event();
        }
        lastResult = null;
        return lastStop = StopEvent.stepped();
    }

    /** The vCPU runs on another thread (a script's vm.run()): stop it there and wait until that run has returned. */
    private void stopForeignRun() {
        vcpu.stop();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MS);
        try {
            while (vcpu.isRunning()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException(vcpu + " did not stop for the debugger");
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + vcpu);
        }
        synchronized (runLock) {
            staleStopMayRemain = true; // that run may have ended on its own before our request
        }
    }

    @Override
    public void step() {
        launch(true);
    }

    @Override
    public void resume() {
        launch(false);
    }

    private void launch(boolean step) {
        if (closing) throw new IllegalStateException("the gdb stub of " + vm.getName() + " is closing");
        synchronized (runLock) {
            if (busy) throw new IllegalStateException(vcpu + " is already running for the debugger");
            busy = true;
            stopRequested = false;
        }
        runner.execute(() -> runOnce(step));
    }

    /** On the run thread: one run or step, its result queued as a stop. */
    private void runOnce(boolean step) {
        RunResult r;
        try {
            long before = vcpu.getInstructions();
            r = enter(step);
            // A stop request that left the backend's latch set would end this run at once, before an instruction.
            boolean stale;
            synchronized (runLock) {
                stale = staleStopMayRemain && !stopRequested;
                staleStopMayRemain = false;
            }
            if (stale && r.reason() == StopReason.INTERRUPTED && r.exit() != null
                    && r.exit().getReason() == dev.trapdoor.vmx.ExitReason.STOP_REQUEST && vcpu.getInstructions() == before) {
                r = enter(step);
            }
        } catch (RuntimeException e) {
            r = new RunResult(StopReason.ERROR, null, 0, null, "the vCPU failed: " + ScriptErrors.describe(e));
        }
        Key key = r.breakpoint() == null ? null : keyOf(r.breakpoint());
        StopEvent ev = key != null && key.type().isWatchpoint() ? StopEvent.watchpoint(key.type(), key.linear())
                : GdbStops.of(r, key == null ? null : key.type());
        synchronized (runLock) {
            if (stopRequested && r.reason() != StopReason.INTERRUPTED) staleStopMayRemain = true;
            busy = false;
        }
        stops.add(new Stop(r, ev));
    }

    private RunResult enter(boolean step) {
        return step ? vcpu.step(1) : vcpu.run();
    }

    private Key keyOf(Breakpoint b) {
        for (Map.Entry<Key, Breakpoint> e : breakpoints.entrySet()) if (e.getValue() == b) return e.getKey();
        return null;
    }

    @Override
    public StopEvent waitForStop() throws InterruptedException {
        Stop s = stops.take();
        lastResult = s.result();
        lastStop = s.event();
        return s.event();
    }

    private Stop awaitStop() {
        try {
            Stop s = stops.poll(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (s == null) throw new IllegalStateException(vcpu + " did not stop for the debugger");
            lastResult = s.result();
            lastStop = s.event();
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + vcpu);
        }
    }

    @Override
    public void interrupt() {
        synchronized (runLock) {
            if (!busy || stopRequested) return;
            stopRequested = true;
            vcpu.stop();
        }
    }

    @Override
    public void detach() {
        removeOwnBreakpoints();
        if (closing || killed || lastStop.isFinal()) return;
        launch(false); // the guest runs free; its end is queued for the next attach
    }

    @Override
    public void kill() {
        killed = true;
        boolean running;
        synchronized (runLock) {
            running = busy;
        }
        if (running) {
            interrupt();
            awaitStop();
        }
        removeOwnBreakpoints();
        lastStop = StopEvent.terminated(StopEvent.SIGKILL);
    }

    boolean isKilled() {
        return killed;
    }

    /** Stops the run thread (a free run too) and removes what gdb placed. The target is unusable after. */
    void close() {
        closing = true;
        synchronized (runLock) {
            if (busy) vcpu.stop();
        }
        runner.shutdown();
        try {
            if (!runner.awaitTermination(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) runner.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stops.clear();
        removeOwnBreakpoints();
    }

    /** Marks the target as closing, so the detach that ends the current session leaves the guest stopped. */
    void beginClose() {
        closing = true;
    }

    // ---- registers

    @Override
    public void readRegisters(I386Registers regs) {
        regs.loadFrom(vcpu.getRegisters());
        X87 fpu = x87.get();
        if (fpu == null) GdbX87.loadEmpty(regs);
        else GdbX87.load(regs, fpu);
    }

    /**
     * Only a real change reaches the vCPU: setting registers drops the exit a stop left pending
     * (an I/O exit a script's breakpoint stopped on would lose its data), so gdb's habit of
     * writing back what it read must not count as a change. The x87 part, likewise, is stored
     * only when gdb changed it.
     */
    @Override
    public void writeRegisters(I386Registers regs) {
        X86Registers r = vcpu.getRegisters();
        current.loadFrom(r);
        if (!Arrays.equals(current.bytes(), 0, INTEGER_BYTES, regs.bytes(), 0, INTEGER_BYTES)) {
            regs.storeTo(r);
            vcpu.setRegisters(r);
        }
        X87 fpu = x87.get();
        if (fpu == null) return;
        GdbX87.load(current, fpu);
        if (!Arrays.equals(current.bytes(), INTEGER_BYTES, I386Layout.SIZE, regs.bytes(), INTEGER_BYTES, I386Layout.SIZE))
            GdbX87.store(regs, fpu);
    }

    // ---- memory

    @Override
    public int readMemory(long linear, byte[] dst, int off, int len) {
        return transfer(linear, dst, off, len, false);
    }

    @Override
    public int writeMemory(long linear, byte[] src, int off, int len) {
        return transfer(linear, src, off, len, true);
    }

    /** Page by page through the guest's translation; stops short at an unmapped page, MMIO or unassigned space. */
    private int transfer(long linear, byte[] buf, int off, int len, boolean write) {
        int done = 0;
        while (done < len) {
            long la = (linear + done) & 0xFFFF_FFFFL; // linear addresses wrap at 4 GiB on IA-32
            long pa = vcpu.translate(la);
            if (pa < 0) break;
            Region r = phys.regionAt(pa);
            if (r == null || (r.kind() != Region.Kind.RAM && r.kind() != Region.Kind.ROM)) break;
            long pageLeft = PhysicalMemory.PAGE_SIZE - (la & (PhysicalMemory.PAGE_SIZE - 1));
            int chunk = (int) Math.min(Math.min(len - done, pageLeft), r.end() - pa);
            // A debugger may patch ROM (firmware) as a loader does; the guest itself still cannot.
            if (write) phys.write(pa, buf, off + done, chunk, true);
            else phys.read(pa, buf, off + done, chunk);
            done += chunk;
        }
        return done;
    }

    // ---- breakpoints

    @Override
    public boolean supports(BreakpointType type) {
        return true; // the interpreter watches any range; KVM 1, 2 or 4 aligned bytes in DR0-DR3 (a refusal is per watchpoint)
    }

    @Override
    public boolean insertBreakpoint(BreakpointType type, long linear, int length) {
        Key k = key(type, linear, length);
        if (breakpoints.containsKey(k)) return true;
        try {
            Breakpoint b = switch (type) {
                case WRITE_WATCH -> vm.watch(k.linear(), length, "w");
                case READ_WATCH -> vm.watch(k.linear(), length, "r");
                case ACCESS_WATCH -> vm.watch(k.linear(), length, "rw");
                default -> vm.breakAt(k.linear());
            };
            breakpoints.put(k, b);
            return true;
        } catch (IllegalArgumentException e) { // KVM's fifth breakpoint, a watchpoint on KVM, or a range outside the linear space
            return false;
        }
    }

    /** gdb names a watchpoint by type, address and length; a breakpoint's kind (1 on x86) does not matter. */
    private static Key key(BreakpointType type, long linear, int length) {
        return new Key(type, linear & 0xFFFF_FFFFL, type.isWatchpoint() ? length : 0);
    }

    @Override
    public boolean removeBreakpoint(BreakpointType type, long linear, int length) {
        // Closing: the session thread must not wait for the VM's lock, which Vm.close holds while
        // it closes the stub; close() removes them on the closing thread instead.
        if (closing) return true;
        Breakpoint b = breakpoints.remove(key(type, linear, length));
        return b != null && vm.delete(b.id());
    }

    private void removeOwnBreakpoints() {
        for (Key k : breakpoints.keySet()) {
            Breakpoint b = breakpoints.remove(k);
            if (b != null) vm.delete(b.id());
        }
    }

    // ---- monitor

    void setMonitorFallback(Function<String, String> f) {
        monitorFallback = f;
    }

    static final String MONITOR_HELP = """
            monitor commands of the Trapdoor stub:
              exits         exits counted by reason
              regs          the vCPU's registers, with segment bases and control registers
              why           why the vCPU stopped last (the run result) and what gdb was told
              breakpoints   the VM's breakpoints and hooks (gdb's show as address breakpoints)
              instructions  guest instructions retired so far
              help          this text
            """;

    @Override
    public String monitor(String command) {
        String c = command.strip();
        String text = switch (c) {
            case "help", "" -> MONITOR_HELP + (monitorFallback == null ? "" : "other commands go to the Trapdoor shell\n");
            case "exits" -> vm.getExits().table();
            case "regs" -> vcpu.regsText();
            case "why" -> GdbStops.describe(lastResult, lastStop);
            case "breakpoints" -> breakpointList();
            case "instructions" -> String.valueOf(vcpu.getInstructions());
            default -> {
                Function<String, String> f = monitorFallback;
                if (f == null) yield "unknown monitor command '" + c + "' (monitor help lists them)";
                yield f.apply(c);
            }
        };
        return text == null || text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
    }

    private String breakpointList() {
        StringBuilder b = new StringBuilder();
        for (ExitWatch w : vm.getWatches()) b.append(w).append('\n');
        return b.isEmpty() ? "no breakpoints or hooks on " + vm.getName() : b.toString();
    }
}
