package dev.trapdoor.kvm;

import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;
import dev.trapdoor.vmx.ExitReason;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The KVM execution backend: one KVM VM whose memory slots are the RAM and ROM regions of a
 * {@link PhysicalMemory} (the same host pages, never copied) and whose vCPUs report KVM's exits as
 * VMX-numbered exits. MMIO regions get no slot, so KVM hands every access to them to us as
 * KVM_EXIT_MMIO.
 */
public final class KvmBackend implements Backend {
    /** Where VMX without unrestricted guest keeps its real-mode TSS (three pages), below a 256 KiB BIOS at the top of 4 GiB. */
    public static final long TSS_ADDRESS = 0xfffb_d000L;
    /** The page before it, for the identity page table of real mode under EPT without unrestricted guest. */
    public static final long IDENTITY_MAP_ADDRESS = 0xfffb_c000L;

    private static final Set<ExitReason> EXIT_REASONS = Collections.unmodifiableSet(EnumSet.of(
            ExitReason.IO_INSTRUCTION, ExitReason.EPT_VIOLATION, ExitReason.HLT, ExitReason.TRIPLE_FAULT,
            ExitReason.EXCEPTION_NMI, ExitReason.ENTRY_FAILURE_GUEST_STATE, ExitReason.INTERNAL_ERROR,
            ExitReason.STOP_REQUEST));

    private static Boolean outRetiredAtExit;

    private final Kvm kvm;
    private final KvmVm vm;
    private final boolean readonlyMemory;
    private final boolean syncRegs;
    private final int maxSlots;
    private final boolean guestDebug;
    private final Map<Region, Integer> slots = new IdentityHashMap<>();
    private final List<KvmVcpuBackend> vcpus = new ArrayList<>();
    private volatile PhysicalMemory memory;
    private boolean closed;

    /** Opens /dev/kvm and creates a VM; throws KvmException with the reason when KVM is unusable. */
    public KvmBackend() {
        String why = availability();
        if (why != null) throw new KvmException(why);
        KvmKick.install();
        kvm = Kvm.open();
        try {
            vm = kvm.createVm();
            readonlyMemory = vm.checkExtension(KvmAbi.CAP_READONLY_MEM) > 0;
            int sync = kvm.checkExtension(KvmAbi.CAP_SYNC_REGS);
            syncRegs = (sync & (KvmAbi.SYNC_X86_REGS | KvmAbi.SYNC_X86_SREGS)) == (KvmAbi.SYNC_X86_REGS | KvmAbi.SYNC_X86_SREGS);
            int nr = vm.checkExtension(KvmAbi.CAP_NR_MEMSLOTS);
            maxSlots = nr > 0 ? nr : 32;
            guestDebug = kvm.checkExtension(KvmAbi.CAP_SET_GUEST_DEBUG) > 0;
            // Real mode on Intel without unrestricted guest runs in vm86 under a TSS that KVM keeps in guest space.
            if (kvm.checkExtension(KvmAbi.CAP_SET_TSS_ADDR) > 0) vm.setTssAddr(TSS_ADDRESS);
            if (kvm.checkExtension(KvmAbi.CAP_SET_IDENTITY_MAP_ADDR) > 0) vm.setIdentityMapAddr(IDENTITY_MAP_ADDRESS);
        } catch (RuntimeException e) {
            kvm.close();
            throw e;
        }
        outRetiredAtExit();
    }

    /** KVM_CAP_SET_GUEST_DEBUG: debugger breakpoints (DR0-DR3) and single steps are possible (kvm_pvm has it). */
    public boolean guestDebug() {
        return guestDebug;
    }

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public Set<ExitReason> exitReasons() {
        return EXIT_REASONS;
    }

    /**
     * Gives every RAM and ROM region not yet mapped its own memory slot, userspace_addr being the
     * region's own host segment. ROM is read-only where KVM supports KVM_MEM_READONLY (guest
     * writes then arrive as MMIO writes, which the memory map drops); without it ROM is mapped
     * writable and a guest could change it. Regions removed from the map are not unmapped
     * (PhysicalMemory has no removal).
     */
    @Override
    public synchronized void syncMemory(PhysicalMemory memory) {
        this.memory = memory;
        for (Region r : memory.regions()) {
            if (slots.containsKey(r)) continue;
            switch (r) {
                case Region.Ram ram -> map(r, 0, ram.host());
                case Region.Rom rom -> map(r, readonlyMemory ? KvmAbi.MEM_READONLY : 0, rom.host());
                case Region.Mmio m -> { }
            }
        }
    }

    private void map(Region r, int flags, MemorySegment host) {
        int slot = slots.size();
        if (slot >= maxSlots) throw new KvmException("KVM allows " + maxSlots + " memory slots; region " + r.name() + " needs one more");
        vm.setUserMemoryRegion(slot, flags, r.base(), host);
        slots.put(r, slot);
    }

    PhysicalMemory memory() {
        return memory;
    }

    /** What KVM can give a guest on this host (KVM_GET_SUPPORTED_CPUID), as QEMU's -cpu host does. */
    @Override
    public dev.trapdoor.arch.CpuidTable defaultCpuid() {
        return kvm.supportedCpuid();
    }

    @Override
    public synchronized VcpuBackend createVcpu(int index) {
        KvmVcpuBackend v = new KvmVcpuBackend(this, vm.createVcpu(index), index, syncRegs);
        vcpus.add(v);
        return v;
    }

    synchronized void forget(KvmVcpuBackend v) {
        vcpus.remove(v);
    }

    /** Whether this KVM retires a non-string OUT before exiting to user space (measured once per process). */
    boolean outRetiredAtExit() {
        synchronized (KvmBackend.class) {
            if (outRetiredAtExit == null) outRetiredAtExit = KvmProbe.outRetiredAtExit(kvm);
            return outRetiredAtExit;
        }
    }

    @Override
    public void close() {
        List<KvmVcpuBackend> open;
        synchronized (this) {
            if (closed) return;
            closed = true;
            open = new ArrayList<>(vcpus);
        }
        for (KvmVcpuBackend v : open) v.close();
        vm.close();
        kvm.close();
    }

    // ---- whether KVM can be used here

    /** Null when the KVM backend can run here, else one sentence saying why not. */
    public static String availability() {
        if (!Files.exists(Path.of(Kvm.DEVICE)))
            return "There is no " + Kvm.DEVICE + ": the kvm module is not loaded or the machine cannot virtualize.";
        try (Kvm k = Kvm.open()) {
            int version = k.apiVersion();
            if (version != KvmAbi.API_VERSION)
                return Kvm.DEVICE + " speaks KVM API version " + version + ", not " + KvmAbi.API_VERSION + ".";
            if (k.checkExtension(KvmAbi.CAP_USER_MEMORY) == 0)
                return Kvm.DEVICE + " lacks KVM_CAP_USER_MEMORY, which maps guest RAM without copies.";
            if (k.checkExtension(KvmAbi.CAP_IMMEDIATE_EXIT) == 0)
                return Kvm.DEVICE + " lacks KVM_CAP_IMMEDIATE_EXIT, which stopping a running vCPU needs.";
            return null;
        } catch (KvmException e) {
            if (e.errno() == Libc.EACCES)
                return "Permission denied opening " + Kvm.DEVICE + ": run as a member of its group (usually kvm).";
            return "Cannot use " + Kvm.DEVICE + ": " + e.getMessage() + ".";
        } catch (IllegalCallerException e) {
            return "The JVM does not allow native access: start it with --enable-native-access=ALL-UNNAMED.";
        }
    }

    /**
     * True when /dev/kvm is kvm_pvm, a software KVM (the module is loaded and the CPU has neither
     * VMX nor SVM): it emulates guest kernel code instead of running it under hardware support.
     */
    public static boolean isSoftwareKvm() {
        return SoftwareKvm.DETECTED;
    }

    private static final class SoftwareKvm {
        static final boolean DETECTED = detect();
    }

    private static boolean detect() {
        if (!Files.isDirectory(Path.of("/sys/module/kvm_pvm"))) return false;
        try {
            String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
            return !Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE).matcher(cpuinfo).find();
        } catch (IOException e) {
            return true;
        }
    }

    public static String softwareKvmNote() {
        return "/dev/kvm is kvm_pvm, a software KVM on a CPU without VMX/SVM: real mode and flat protected mode work, stock Linux kernels do not";
    }
}
