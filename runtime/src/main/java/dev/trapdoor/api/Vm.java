package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.backend.Backend;
import dev.trapdoor.devices.BufferCharBackend;
import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.MachineControl;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitReason;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * A virtual machine: guest-physical memory, the port-I/O bus with its devices, vCPUs, one
 * backend, and the watches (breakpoints and hooks) that see its exits. Built by {@link VmBuilder}.
 */
public final class Vm implements AutoCloseable, MachineControl {
    record Shutdown(int status, String reason) {}

    private final String name;
    private final Backend backend;
    private final PhysicalMemory phys;
    private final GuestMemory memory;
    private final IoBus io;
    private final CpuidTable cpuid;
    private final ExitCounters counters = new ExitCounters();
    private final ExitCostModel exitCosts = new ExitCostModel();
    private final VirtualTime time = new VirtualTime(new dev.trapdoor.devices.clock.VirtualClock());
    private final MsrTable msrs = MsrTable.p6();
    private final Hypercalls hypercalls = new Hypercalls();
    private final List<ExitWatch> watches = new CopyOnWriteArrayList<>();
    private final DebugStopSet debugStops = new DebugStopSet(this);
    private final Map<String, Object> devices = new LinkedHashMap<>();
    private final List<Vcpu> vcpus = new ArrayList<>();
    private CharBackend console;
    /** Host pages for this VM's EPT tables (created with the first EPT). */
    private dev.trapdoor.memory.paging.HostPages eptPool;
    private dev.trapdoor.memory.paging.Ept ept;
    private final List<dev.trapdoor.memory.paging.Ept> epts = new ArrayList<>();
    private int nextWatchId = 1;
    private volatile Shutdown shutdown;
    private boolean closed;

    Vm(String name, Backend backend, PhysicalMemory phys, IoBus io, CpuidTable cpuid) {
        this.name = name;
        this.backend = backend;
        this.phys = phys;
        this.memory = new GuestMemory(phys);
        memory.writeTap = (gpa, bytes) -> {
            if (recordReplay.mode() != RecordReplay.Mode.OFF && !vcpus.isEmpty())
                recordReplay.note(getVcpu(), Recording.Kind.MEMORY, "", gpa, 0, bytes);
        };
        this.io = io;
        this.cpuid = cpuid;
    }

    void addVcpu(Vcpu v) { vcpus.add(v); }

    /** Virtual time as vCPU 0 sees it (finer than the clock while it runs); the clock before there is a vCPU. */
    long virtualNow() {
        return vcpus.isEmpty() ? time.clock().now() : vcpus.get(0).virtualNow();
    }

    /** A device on vCPU 0's thread moved a timer deadline. */
    void deadlineMoved() {
        if (!vcpus.isEmpty()) vcpus.get(0).deadlineMoved();
    }
    void addDevice(String name, Object device) { devices.put(name, device); }
    void setConsole(CharBackend c) { console = c; }

    public String getName() { return name; }
    /** The backend's name: "interp", "kvm", or a custom backend's. */
    public String getBackend() { return backend.name(); }
    public GuestMemory getMem() { return memory; }
    public GuestMemory memory() { return memory; }
    public IoBus io() { return io; }
    public IoBus getIo() { return io; }
    public CpuidTable getCpuid() { return cpuid; }
    /** The model-specific registers RDMSR/WRMSR exits are answered from. */
    public MsrTable getMsrs() { return msrs; }
    /** The VMCALL functions the runtime answers (see {@link Hypercalls} for the ABI): {@code vm.hypercalls.on(n) { vcpu -> ... }}. */
    public Hypercalls getHypercalls() { return hypercalls; }
    /** The VM's virtual clock: device timers run on it; on the interpreter it is the instruction count. */
    public dev.trapdoor.devices.clock.VirtualClock getClock() { return time.clock(); }
    /** Virtual nanoseconds one guest instruction takes on the interpreter (default 1: a 1 GHz, 1-IPC CPU). */
    public long getNanosPerInstruction() { return time.nanosPerInstruction(); }
    public void setNanosPerInstruction(long n) { time.nanosPerInstruction(n); }
    /** Real-time pacing: an idle guest waits for its timers in host time and wakes for console input. */
    public boolean isRealtime() { return time.realtime(); }
    public void setRealtime(boolean on) { time.realtime(on, this::inputWaiting); }

    private final List<Runnable> betweenExits = new CopyOnWriteArrayList<>();

    /** Work the board does after every exit (UARTs taking console input, their timeouts). */
    void betweenExits(Runnable r) { betweenExits.add(r); }

    void runBetweenExits() {
        for (Runnable r : betweenExits) r.run();
    }

    private boolean inputWaiting() {
        return console instanceof dev.trapdoor.devices.CharBackend c && c.hasInput();
    }
    VirtualTime time() { return time; }
    public ExitCounters counters() { return counters; }
    /** The cycle costs charged per exit and entry (settable: {@code vm.exitCosts.perMsrListEntry = 100}). */
    public ExitCostModel getExitCosts() { return exitCosts; }
    /** vCPU 0's VMCS on the interpreter, null on KVM: {@code vm.vmcs['EXCEPTION_BITMAP']}. */
    public dev.trapdoor.vmx.Vmcs getVmcs() { return getVcpu().getVmcs(); }
    public ExitCounters getExits() { return counters; }
    public List<Vcpu> getVcpus() { return Collections.unmodifiableList(vcpus); }
    public Vcpu getVcpu() { return vcpus.get(0); }
    public Vcpu vcpu(int i) { return vcpus.get(i); }
    public CharBackend getConsole() { return console; }

    /** What the guest wrote to its serial port so far, when the console is a buffer (the default). */
    public String getSerialOutput() {
        if (console instanceof BufferCharBackend b) return b.output();
        throw new IllegalStateException("the serial console of " + name + " goes to " + console.getClass().getSimpleName() + ", not a buffer");
    }

    /** The serial output not taken before, when the console is a buffer. */
    public String takeSerialOutput() {
        if (console instanceof BufferCharBackend b) return b.takeOutput();
        throw new IllegalStateException("the serial console of " + name + " goes to " + console.getClass().getSimpleName() + ", not a buffer");
    }
    /** Devices by name ("serial0", "debug-exit", ...). */
    public Map<String, Object> getDevices() { return Collections.unmodifiableMap(devices); }
    public Object device(String name) {
        Object d = devices.get(name);
        if (d == null) throw new IllegalArgumentException("no device '" + name + "' in " + this.name + "; devices: " + devices.keySet());
        return d;
    }

    /** The exit reasons this VM's backend can report. */
    public Set<ExitReason> getCapabilities() { return backend.exitReasons(); }

    public boolean canReport(Object reason) {
        return backend.exitReasons().contains(Reasons.resolve(reason));
    }

    // ---- loading

    public void load(byte[] image, long gpa) {
        if (gpa < 0 || phys.regionAt(gpa) == null || phys.regionAt(gpa + Math.max(0, image.length - 1)) == null)
            throw new IllegalArgumentException(String.format("%d bytes at %#x do not fit in this VM's memory (%s)",
                    image.length, gpa, phys.regions()));
        phys.write(gpa, image, 0, image.length, true);
    }

    /** Loads a flat binary file at gpa. */
    public void load(String path, long gpa) {
        try {
            load(Files.readAllBytes(Path.of(path)), gpa);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a kernel (bzImage, multiboot or ELF) with the boot protocol its format asks for and
     * sets vCPU 0 to its entry state. Options: initrd, append, vmlinux (true = direct vmlinux).
     */
    public dev.trapdoor.boot.BootPlan boot(String kernel, Map<String, ?> options) {
        return KernelBoot.boot(this, kernel, options);
    }

    public dev.trapdoor.boot.BootPlan boot(String kernel) {
        return KernelBoot.boot(this, kernel, Map.of());
    }

    // ---- running

    public RunResult run() {
        return getVcpu().run();
    }

    public RunResult cont() {
        return getVcpu().run();
    }

    /** Thread-safe: stops every running vCPU soon (Ctrl-C in the shell). */
    public void stop() {
        for (Vcpu v : vcpus) v.stop();
    }

    // ---- watches

    List<ExitWatch> watchList() {
        return watches;
    }

    public List<ExitWatch> getWatches() {
        return List.copyOf(watches);
    }

    public List<Breakpoint> getBreakpoints() {
        return watches.stream().filter(w -> w instanceof Breakpoint).map(w -> (Breakpoint) w).collect(Collectors.toList());
    }

    /** Stops every run on exits of this reason (an ExitReason, its name or its SDM number). */
    public Breakpoint breakOn(Object reason) {
        return breakOn(reason, null);
    }

    public Breakpoint breakOn(Object reason, ExitCondition condition) {
        return addBreakpoint(reason, condition, null, false);
    }

    /** A breakpoint that deletes itself after it first stops the run. */
    public Breakpoint breakOnce(Object reason, ExitCondition condition) {
        return addBreakpoint(reason, condition, null, true);
    }

    public synchronized Breakpoint addBreakpoint(Object reason, ExitCondition condition, String conditionText, boolean temporary) {
        ExitReason r = reason == null ? null : checkReportable(reason);
        Breakpoint b = new Breakpoint(nextWatchId++, r, condition, conditionText, temporary);
        watches.add(b);
        return b;
    }

    /** Runs handler on exits of this reason, before the default handler. */
    public Hook onExit(Object reason, ExitHandler handler) {
        return addHook(reason == null ? null : checkReportable(reason), handler);
    }

    /** Runs handler on every exit. */
    public Hook onExit(ExitHandler handler) {
        return addHook(null, handler);
    }

    private synchronized Hook addHook(ExitReason r, ExitHandler handler) {
        if (handler == null) throw new IllegalArgumentException("a hook needs a handler");
        Hook h = new Hook(nextWatchId++, r, handler);
        watches.add(h);
        return h;
    }

    private ExitReason checkReportable(Object reason) {
        ExitReason r = Reasons.resolve(reason);
        if (!backend.exitReasons().contains(r)) {
            throw new IllegalArgumentException(String.format("the %s backend never reports %s exits; it reports %s",
                    backend.name(), r.name(), backend.exitReasons().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))));
        }
        return r;
    }

    /**
     * Stops every run before the instruction at this linear address executes (a debugger
     * breakpoint the guest cannot see; it takes effect on the next instruction, whatever the
     * decoded-block cache holds). The interpreter takes any number; KVM four (DR0-DR3 through
     * KVM_SET_GUEST_DEBUG, set aside from the guest's own debug registers while it runs).
     */
    public synchronized Breakpoint breakAt(long linear) {
        long la = linear & 0xffffffffL;
        if (!backend.exitReasons().contains(ExitReason.EXCEPTION_NMI) || !getVcpu().addBackendBreakpoint(la))
            throw new IllegalArgumentException(backend.name().equals("kvm")
                    ? "KVM takes at most four instruction breakpoints (DR0-DR3 through KVM_SET_GUEST_DEBUG), and only where the host's KVM has KVM_CAP_SET_GUEST_DEBUG"
                    : "the " + backend.name() + " backend has no instruction breakpoints");
        Breakpoint b = new Breakpoint(nextWatchId++, ExitReason.EXCEPTION_NMI,
                e -> e.getVector() == 1 && "breakpoint".equals(e.getMessage()) && e.getGuestLinear() == la,
                String.format("address %#x", la), false);
        b.address = la;
        watches.add(b);
        return b;
    }

    // ---- debugger stops the CPU notices itself (the interpreter; ports and MMIO also as KVM exits)

    /**
     * Stops the run after any instruction that writes (rw "w"), reads ("r") or does either ("rw")
     * a byte of linear [address, address+length). Not limited to four like DR0-DR3, invisible to
     * the guest; the stop's {@link Exit#getAccess()} tells what was accessed. Takes effect on the
     * next instruction.
     */
    public Breakpoint watch(long address, long length, String rw) {
        return watch(address, length, rw, null);
    }

    public Breakpoint watch(long address, long length, String rw, ExitCondition condition) {
        return watch(address, length, rw, condition, null);
    }

    /** conditionText: how the condition reads, for listings (the shell passes what was typed). */
    public synchronized Breakpoint watch(long address, long length, String rw, ExitCondition condition, String conditionText) {
        return addStop(debugStops.watch(nextWatchId++, address, length, rw, false, condition, conditionText));
    }

    /** A write watchpoint on 4 bytes, as gdb's {@code watch} of an int. */
    public Breakpoint watch(long address) {
        return watch(address, 4, "w");
    }

    /** {@link #watch} on guest-physical addresses: any linear address that maps there, and DMA-free CPU accesses only. */
    public Breakpoint watchPhysical(long address, long length, String rw) {
        return watchPhysical(address, length, rw, null);
    }

    public Breakpoint watchPhysical(long address, long length, String rw, ExitCondition condition) {
        return watchPhysical(address, length, rw, condition, null);
    }

    public synchronized Breakpoint watchPhysical(long address, long length, String rw, ExitCondition condition, String conditionText) {
        return addStop(debugStops.watch(nextWatchId++, address, length, rw, true, condition, conditionText));
    }

    /** Stops before every instruction with this mnemonic ("cpuid", "rdmsr", "movl" as objdump spells it). */
    public Breakpoint breakOnMnemonic(String mnemonic) {
        return breakOnMnemonic(mnemonic, null);
    }

    public Breakpoint breakOnMnemonic(String mnemonic, ExitCondition condition) {
        return breakOnMnemonic(mnemonic, condition, null);
    }

    public synchronized Breakpoint breakOnMnemonic(String mnemonic, ExitCondition condition, String conditionText) {
        return addStop(debugStops.mnemonic(nextWatchId++, mnemonic, condition, conditionText));
    }

    /** Stops before IN, OUT, INS or OUTS on a port in [first, last], whether or not the VMCS makes it exit. */
    public Breakpoint breakOnPort(int first, int last) {
        return breakOnPort(first, last, null);
    }

    public Breakpoint breakOnPort(int first, int last, ExitCondition condition) {
        return breakOnPort(first, last, condition, null);
    }

    public synchronized Breakpoint breakOnPort(int first, int last, ExitCondition condition, String conditionText) {
        return addStop(debugStops.ports(nextWatchId++, first, last, condition, conditionText));
    }

    public Breakpoint breakOnPort(int port) {
        return breakOnPort(port, port);
    }

    /** Stops after an instruction that touches guest-physical [first, last] (a device's registers). */
    public Breakpoint breakOnMmio(long first, long last) {
        return breakOnMmio(first, last, null);
    }

    public Breakpoint breakOnMmio(long first, long last, ExitCondition condition) {
        return breakOnMmio(first, last, condition, null);
    }

    public synchronized Breakpoint breakOnMmio(long first, long last, ExitCondition condition, String conditionText) {
        return addStop(debugStops.mmio(nextWatchId++, first, last, condition, conditionText));
    }

    /** Stops when the CPU delivers this vector (exception, INT n or interrupt): EIP at the handler, the frame pushed. */
    public Breakpoint breakOnVector(int vector) {
        return breakOnVector(vector, null);
    }

    public Breakpoint breakOnVector(int vector, ExitCondition condition) {
        return breakOnVector(vector, condition, null);
    }

    public synchronized Breakpoint breakOnVector(int vector, ExitCondition condition, String conditionText) {
        return addStop(debugStops.vector(nextWatchId++, vector, condition, conditionText));
    }

    private Breakpoint addStop(Breakpoint b) {
        watches.add(b);
        return b;
    }

    /** Deletes the breakpoint or hook with this id; false if there is none. */
    public synchronized boolean delete(int id) {
        for (ExitWatch w : watches) {
            if (w.id() != id) continue;
            if (w instanceof Breakpoint b && b.target != null) debugStops.remove(b);
            if (w instanceof Breakpoint b && b.address >= 0 && watches.stream().noneMatch(o -> o != b && o instanceof Breakpoint ob && ob.address == b.address))
                getVcpu().removeBackendBreakpoint(b.address);
            return watches.remove(w);
        }
        return false;
    }

    public synchronized void clearWatches() {
        for (ExitWatch w : List.copyOf(watches)) delete(w.id());
    }

    // ---- MachineControl: devices asking the machine to stop

    @Override
    public void requestShutdown(int status, String reason) {
        shutdown = new Shutdown(status, reason);
    }

    @Override
    public void requestReset(String reason) {
        shutdown = new Shutdown(-1, "reset requested: " + reason);
    }

    /** A device asked for shutdown or reset that no exit has reported yet. */
    boolean shutdownPending() {
        return shutdown != null;
    }

    Shutdown takeShutdown() {
        Shutdown s = shutdown;
        shutdown = null;
        return s;
    }

    // ---- record, replay, reverse execution

    private final RecordReplay recordReplay = new RecordReplay(this);

    RecordReplay recordReplay() { return recordReplay; }

    /**
     * Starts recording the inputs from outside the machine (serial bytes, scripts' changes through
     * the API) from a snapshot of now, with a checkpoint every checkpointEvery guest exits (0: none)
     * for reverse execution. Returns the recording, which grows as the VM runs.
     */
    public Recording record(long checkpointEvery) {
        return recordReplay.start(checkpointEvery);
    }

    /** Records with a checkpoint every 10,000 guest exits. */
    public Recording record() {
        return record(10_000);
    }

    /** Stops recording (or replaying); returns the recording. */
    public Recording stopRecording() {
        return recordReplay.stop();
    }

    /** The recording being made or replayed, or null. */
    public Recording getRecording() {
        return recordReplay.mode() == RecordReplay.Mode.OFF ? null : recordReplay.recording();
    }

    /** "recording", "replaying" or "off". */
    public String getRecordMode() {
        return recordReplay.mode().name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Restores the recording's start and replays it: the following runs take the recorded serial
     * bytes at the same polls and re-apply the scripts' changes at the same exits; hooks are
     * skipped (their effects are recorded). Past the recording's end it records again.
     */
    public void replay(Recording r) {
        recordReplay.replayFrom(r, r.checkpoints.getFirst());
        getVcpu().resetExitDigest();
    }

    // ---- snapshots

    private final Map<String, dev.trapdoor.snapshot.Snapshot> namedSnapshots = new LinkedHashMap<>();

    /**
     * The whole machine state now: RAM, vCPUs (registers, x87, events, VMCS, the exit a breakpoint
     * stopped on), devices and their timers, the virtual clock. Refuses, naming it, when a device
     * or the backend has no saved state.
     */
    public dev.trapdoor.snapshot.Snapshot snapshot() {
        return VmState.capture(this);
    }

    /** Takes a snapshot and keeps it under name (for {@link #restore(Object)} by name). */
    public dev.trapdoor.snapshot.Snapshot snapshot(String name) {
        dev.trapdoor.snapshot.Snapshot s = snapshot();
        namedSnapshots.put(name, s);
        return s;
    }

    /** The snapshots kept by name. */
    public Map<String, dev.trapdoor.snapshot.Snapshot> getSnapshots() {
        return Collections.unmodifiableMap(namedSnapshots);
    }

    /** Takes a snapshot and writes it to a file. */
    public dev.trapdoor.snapshot.Snapshot save(String path) {
        dev.trapdoor.snapshot.Snapshot s = snapshot();
        s.write(path);
        return s;
    }

    /**
     * Puts the machine back in a snapshot's state: a Snapshot, the name of one kept by
     * {@link #snapshot(String)}, or a snapshot file's path. A snapshot of another machine, or a
     * damaged file, is refused with one SnapshotException and the VM is left as it was.
     */
    public void restore(Object snapshot) {
        dev.trapdoor.snapshot.Snapshot s;
        if (snapshot instanceof dev.trapdoor.snapshot.Snapshot given) s = given;
        else if (snapshot instanceof Path p) s = dev.trapdoor.snapshot.Snapshot.read(p);
        else if (snapshot instanceof CharSequence text && namedSnapshots.containsKey(text.toString())) s = namedSnapshots.get(text.toString());
        else if (snapshot instanceof CharSequence text) s = dev.trapdoor.snapshot.Snapshot.read(text.toString());
        else throw new IllegalArgumentException("restore takes a Snapshot, a snapshot name or a file path, not " + snapshot);
        VmState.restore(this, s);
    }

    /** The VM's own state in a snapshot: the MSR table, a shutdown a device asked for, the clock's sync point. */
    dev.trapdoor.snapshot.Stateful ownState() {
        return new dev.trapdoor.snapshot.Stateful() {
            @Override
            public void saveState(dev.trapdoor.snapshot.StateWriter out) {
                var rows = new java.util.TreeMap<>(msrs.rows());
                out.i32(rows.size());
                rows.forEach((k, v) -> out.i32(k).i64(v));
                Shutdown s = shutdown;
                out.bool(s != null);
                if (s != null) out.i32(s.status()).string(s.reason());
                time.saveState(out);
            }

            @Override
            public void loadState(dev.trapdoor.snapshot.StateReader in) {
                int n = in.range(0, 1 << 16, "MSR count");
                Map<Integer, Long> rows = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) rows.put(in.i32(), in.i64());
                Shutdown s = in.bool() ? new Shutdown(in.i32(), in.string()) : null;
                time.loadState(in);
                for (Integer k : List.copyOf(msrs.rows().keySet())) msrs.remove(k);
                rows.forEach(msrs::define);
                shutdown = s;
            }
        };
    }

    private GdbStub gdb;

    /** Starts this VM's GDB stub for vCPU 0 on loopback (port 0: a free one), or returns the running one. */
    public synchronized GdbStub gdb(int port) {
        if (gdb != null && port != 0 && port != gdb.getPort()) throw new IllegalStateException(name + " already has " + gdb + "; stopGdb() first");
        if (gdb == null) gdb = GdbStub.start(this, port);
        return gdb;
    }

    /** Closes the GDB stub, if any: gdb is disconnected and the guest stays stopped. */
    public void stopGdb() {
        GdbStub g;
        synchronized (this) {
            g = gdb;
            gdb = null;
        }
        if (g != null) g.close();
    }

    // ---- EPT and VPID on the interpreter (SDM Vol. 3C, 29)

    /**
     * This VM's EPT (made on first use, empty): a script maps it ({@code vm.ept.map(0, 0, size, Ept.RWX)})
     * and turns it on with {@link Vcpu#useEpt}. Guest-physical addresses are addresses in this VM's
     * memory map, which plays host-physical memory.
     */
    public synchronized dev.trapdoor.memory.paging.Ept getEpt() {
        if (ept == null) ept = newEpt();
        return ept;
    }

    /**
     * The identity EPT the interpreter's vCPUs start with (RAM, ROM and unassigned space mapped to
     * themselves, device pages left out): {@code vcpu.useEpt(vm.defaultEpt)} goes back to it.
     */
    public dev.trapdoor.memory.paging.Ept getDefaultEpt() {
        if (backend instanceof dev.trapdoor.cpu.InterpreterBackend i) return i.identityEpt();
        throw new UnsupportedOperationException("the default EPT is the interpreter's; the " + backend.name() + " backend has none");
    }

    /** Another EPT in the same table pool (a second guest's second stage), which the same vCPUs can walk. */
    public synchronized dev.trapdoor.memory.paging.Ept newEpt() {
        // On the interpreter the pool is the backend's, beside the default EPT: switching between them is a change of EPT pointer.
        if (eptPool == null) eptPool = backend instanceof dev.trapdoor.cpu.InterpreterBackend i ? i.eptPool() : dev.trapdoor.memory.paging.Ept.newTablePool();
        var e = new dev.trapdoor.memory.paging.Ept(eptPool, 39);
        e.addInvalidationListener(this::invept);
        epts.add(e);
        return e;
    }

    /** INVEPT (all-context) on every vCPU: cached combined translations go. */
    public void invept() {
        for (Vcpu v : vcpus) v.invept();
    }

    /** INVVPID (single-context) on every vCPU: vpid's cached translations go. */
    public void invvpid(int vpid) {
        for (Vcpu v : vcpus) v.invvpid(vpid);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        stopGdb();
        closed = true;
        for (Vcpu v : vcpus) v.close();
        backend.close();
        phys.close();
        if (eptPool != null && !(backend instanceof dev.trapdoor.cpu.InterpreterBackend)) eptPool.close(); // the backend closed its own
    }

    @Override
    public String toString() {
        long ram = phys.regions().stream().filter(r -> r.kind() == dev.trapdoor.memory.Region.Kind.RAM).mapToLong(r -> r.size()).sum();
        return String.format("vm '%s' on %s, %d vCPU, %d KiB RAM, devices %s", name, backend.name(), vcpus.size(), ram >> 10, devices.keySet());
    }
}
