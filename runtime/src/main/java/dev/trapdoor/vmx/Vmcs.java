package dev.trapdoor.vmx;

import java.util.List;
import java.util.Locale;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * A virtual-machine control structure: every {@link VmcsField}'s value, the I/O and MSR bitmaps it
 * points to, and the decisions the SDM derives from them (which exception, port, MSR or CR write
 * exits). One per vCPU; the interpreter reads it on its slow paths and on every exit.
 *
 * <p>Two ways to write: {@link #write} has VMWRITE's rules (the VM-exit information fields are
 * read-only, SDM 31.3 VMWRITE: VM-instruction error 13) and is what scripts and a nested guest use;
 * {@link #store} is the processor's own write, used to record exit information. {@link #vmwrite}
 * and {@link #vmread} take raw encodings and never throw: they report VM-instruction errors as the
 * instructions do. Scripts reach fields by name: {@code vmcs['EXCEPTION_BITMAP']},
 * {@code vmcs.get("TSC_OFFSET")}, {@code vmcs.guest.cr3}.
 */
public final class Vmcs implements Stateful {
    /** VM-instruction error numbers (SDM Vol. 3C, 31.4). */
    public static final int VMXERR_UNSUPPORTED_COMPONENT = 12, VMXERR_READ_ONLY_COMPONENT = 13;

    private static final VmcsField[] FIELDS = VmcsField.values();

    private final long[] values = new long[FIELDS.length];
    private final int naturalBits;
    private final IoBitmaps io = new IoBitmaps();
    private final MsrBitmap msrs = new MsrBitmap();
    /** IA32_VMX_MISC bit 29: VMWRITE may write the VM-exit information fields. */
    private boolean exitInfoWritable;

    /** A VMCS for a processor with 64-bit natural-width fields. */
    public Vmcs() {
        this(64);
    }

    /** naturalBits is 32 for a processor without Intel 64 (IA-32), 64 otherwise. */
    public Vmcs(int naturalBits) {
        if (naturalBits != 32 && naturalBits != 64) throw new IllegalArgumentException("natural width is 32 or 64 bits");
        this.naturalBits = naturalBits;
        clear();
    }

    /** VMCLEAR's effect on the data: all zero, the link pointer all ones (the value VM entry requires, SDM 27.3.1.5). */
    public void clear() {
        java.util.Arrays.fill(values, 0);
        values[VmcsField.VMCS_LINK_POINTER.ordinal()] = -1L;
    }

    public int naturalBits() { return naturalBits; }
    public IoBitmaps ioBitmaps() { return io; }
    public MsrBitmap msrBitmap() { return msrs; }
    public boolean exitInfoWritable() { return exitInfoWritable; }
    public void exitInfoWritable(boolean on) { exitInfoWritable = on; }

    // ---- field access

    public long read(VmcsField f) {
        return values[f.ordinal()];
    }

    /** VMWRITE's rules: a read-only field cannot be written (unless {@link #exitInfoWritable}). */
    public void write(VmcsField f, long value) {
        if (f.readOnly() && !exitInfoWritable)
            throw new IllegalArgumentException(f + " is a read-only VM-exit information field");
        store(f, value);
    }

    /** The processor's write: any field, masked to its width. */
    public void store(VmcsField f, long value) {
        values[f.ordinal()] = value & mask(f);
    }

    private long mask(VmcsField f) {
        int bits = f.bits(naturalBits);
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    /** VMREAD by encoding; on an unsupported encoding returns 0 and sets VM_INSTRUCTION_ERROR (12). */
    public long vmread(int encoding) {
        VmcsField f = VmcsField.ofEncoding(encoding);
        if (f == null) {
            store(VmcsField.VM_INSTRUCTION_ERROR, VMXERR_UNSUPPORTED_COMPONENT);
            return 0;
        }
        long v = values[f.ordinal()];
        return (encoding & 1) != 0 ? v >>> 32 : v;
    }

    /**
     * VMWRITE by encoding: returns 0 on success or the VM-instruction error (12 unsupported
     * component, 13 read-only component), which it also stores in VM_INSTRUCTION_ERROR. A write
     * to the high half of a 64-bit field changes bits 63:32 only.
     */
    public int vmwrite(int encoding, long value) {
        VmcsField f = VmcsField.ofEncoding(encoding);
        int error = f == null ? VMXERR_UNSUPPORTED_COMPONENT
                : f.readOnly() && !exitInfoWritable ? VMXERR_READ_ONLY_COMPONENT : 0;
        if (error != 0) {
            store(VmcsField.VM_INSTRUCTION_ERROR, error);
            return error;
        }
        if ((encoding & 1) != 0) value = (values[f.ordinal()] & 0xffffffffL) | (value << 32);
        store(f, value);
        return 0;
    }

    // ---- scripts: by name, Groovy subscript and property syntax

    public long get(String name) {
        return read(VmcsField.byName(name));
    }

    public void set(String name, Object value) {
        write(VmcsField.byName(name), toLong(value));
    }

    public long getAt(String name) {
        return get(name);
    }

    public void putAt(String name, Object value) {
        set(name, value);
    }

    public VmcsGroupView view(VmcsGroup g) {
        return new VmcsGroupView(this, g);
    }

    public VmcsGroupView getGuest() { return view(VmcsGroup.GUEST_STATE); }
    public VmcsGroupView getHost() { return view(VmcsGroup.HOST_STATE); }
    public VmcsGroupView getExecution() { return view(VmcsGroup.EXECUTION_CONTROLS); }
    public VmcsGroupView getExitControls() { return view(VmcsGroup.EXIT_CONTROLS); }
    public VmcsGroupView getEntryControls() { return view(VmcsGroup.ENTRY_CONTROLS); }
    public VmcsGroupView getExitInfo() { return view(VmcsGroup.EXIT_INFO); }

    /** Turns on the named control bits in a control field: {@code vmcs.enable(PROC_BASED_CONTROLS, "HLT_EXITING")}. */
    public void enable(VmcsField f, String... controls) {
        long v = read(f);
        for (String c : controls) v |= ControlBits.bit(controlClass(f), c) & 0xffffffffL;
        write(f, v);
    }

    public void disable(VmcsField f, String... controls) {
        long v = read(f);
        for (String c : controls) v &= ~(ControlBits.bit(controlClass(f), c) & 0xffffffffL);
        write(f, v);
    }

    private static Class<?> controlClass(VmcsField f) {
        Class<?> c = ControlBits.classOf(f);
        if (c == null) throw new IllegalArgumentException(f + " is not a field of named control bits");
        return c;
    }

    static long toLong(Object value) {
        return switch (value) {
            case Number n -> n.longValue();
            case Boolean b -> b ? 1 : 0;
            case CharSequence s -> parse(s.toString());
            case null -> throw new IllegalArgumentException("a VMCS field cannot hold null");
            default -> throw new IllegalArgumentException("a VMCS field holds a number, not " + value.getClass().getSimpleName());
        };
    }

    private static long parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace("_", "");
        try {
            if (t.startsWith("0x")) return Long.parseUnsignedLong(t.substring(2), 16);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + s + "'");
        }
    }

    // ---- controls as the processor sees them

    public int pinBased() { return (int) read(VmcsField.PIN_BASED_CONTROLS); }
    public int procBased() { return (int) read(VmcsField.PROC_BASED_CONTROLS); }

    /** The secondary controls in force: all 0 unless "activate secondary controls" is set (SDM 25.6.2). */
    public int procBased2() {
        return (procBased() & ProcBased.ACTIVATE_SECONDARY_CONTROLS) != 0 ? (int) read(VmcsField.SECONDARY_PROC_BASED_CONTROLS) : 0;
    }

    public boolean eptEnabled() { return (procBased2() & ProcBased2.ENABLE_EPT) != 0; }

    /** The VPID that tags this guest's TLB entries: 0 (the host's) unless "enable VPID" is set. */
    public int vpid() {
        return (procBased2() & ProcBased2.ENABLE_VPID) != 0 ? (int) read(VmcsField.VPID) : 0;
    }

    // ---- exit decisions (SDM Vol. 3C, 26.1-26.2, "Instructions that cause VM exits")

    /**
     * Whether exception vector (0-31) exits (SDM 26.2): its bit in the exception bitmap, except
     * #PF, which exits iff ((PFEC &amp; mask) == match) equals bit 14 of the bitmap. NMI (vector 2)
     * is governed by the pin-based "NMI exiting" control instead; callers ask {@link #nmiExits()}.
     */
    public boolean exceptionExits(int vector, int errorCode) {
        if (vector < 0 || vector > 31) return false;
        boolean bit = (read(VmcsField.EXCEPTION_BITMAP) & (1L << vector)) != 0;
        if (vector != 14) return bit;
        long mask = read(VmcsField.PAGE_FAULT_ERROR_CODE_MASK);
        long match = read(VmcsField.PAGE_FAULT_ERROR_CODE_MATCH);
        boolean matches = ((errorCode & 0xffffffffL) & mask) == match;
        return bit == matches;
    }

    public boolean nmiExits() { return (pinBased() & PinBased.NMI_EXITING) != 0; }
    public boolean externalInterruptExits() { return (pinBased() & PinBased.EXTERNAL_INTERRUPT_EXITING) != 0; }

    /** IN/OUT/INS/OUTS of size bytes at port (SDM 26.1.3): the bitmaps when in use, else unconditional I/O exiting. */
    public boolean ioExits(int port, int size) {
        int p = procBased();
        if ((p & ProcBased.USE_IO_BITMAPS) != 0) return io.exits(port, size);
        return (p & ProcBased.UNCONDITIONAL_IO_EXITING) != 0;
    }

    /** RDMSR/WRMSR of msr (SDM 26.1.3): every access exits unless "use MSR bitmaps" is set. */
    public boolean msrExits(int msr, boolean write) {
        if ((procBased() & ProcBased.USE_MSR_BITMAPS) == 0) return true;
        return msrs.exits(msr, write);
    }

    /** MOV to CR3 exits with CR3-load exiting unless the value is one of the first CR3_TARGET_COUNT targets. */
    public boolean cr3LoadExits(long value) {
        if ((procBased() & ProcBased.CR3_LOAD_EXITING) == 0) return false;
        long count = read(VmcsField.CR3_TARGET_COUNT);
        for (int i = 0; i < count && i < 4; i++) {
            if (read(cr3Target(i)) == value) return false;
        }
        return true;
    }

    public static VmcsField cr3Target(int i) {
        return switch (i) {
            case 0 -> VmcsField.CR3_TARGET_VALUE0;
            case 1 -> VmcsField.CR3_TARGET_VALUE1;
            case 2 -> VmcsField.CR3_TARGET_VALUE2;
            case 3 -> VmcsField.CR3_TARGET_VALUE3;
            default -> throw new IllegalArgumentException("CR3 target " + i);
        };
    }

    /** MOV to CR0 exits if it would change a host-owned bit from the read shadow's value. */
    public boolean cr0WriteExits(long value) {
        return ((value ^ read(VmcsField.CR0_READ_SHADOW)) & read(VmcsField.CR0_GUEST_HOST_MASK)) != 0;
    }

    public boolean cr4WriteExits(long value) {
        return ((value ^ read(VmcsField.CR4_READ_SHADOW)) & read(VmcsField.CR4_GUEST_HOST_MASK)) != 0;
    }

    /** What MOV from CR0 returns: host-owned bits from the read shadow, the rest from the real CR0. */
    public long cr0ReadValue(long actual) {
        long mask = read(VmcsField.CR0_GUEST_HOST_MASK);
        return (actual & ~mask) | (read(VmcsField.CR0_READ_SHADOW) & mask);
    }

    public long cr4ReadValue(long actual) {
        long mask = read(VmcsField.CR4_GUEST_HOST_MASK);
        return (actual & ~mask) | (read(VmcsField.CR4_READ_SHADOW) & mask);
    }

    /** CLTS exits iff CR0.TS (bit 3) is host-owned and set in the read shadow. */
    public boolean cltsExits() {
        return (read(VmcsField.CR0_GUEST_HOST_MASK) & read(VmcsField.CR0_READ_SHADOW) & 8) != 0;
    }

    /**
     * LMSW exits iff it would set a host-owned PE that the shadow has clear, or change any
     * host-owned bit of MP, EM, TS from the shadow (SDM 26.1.3; LMSW cannot clear PE).
     */
    public boolean lmswExits(int source) {
        long mask = read(VmcsField.CR0_GUEST_HOST_MASK);
        long shadow = read(VmcsField.CR0_READ_SHADOW);
        if ((mask & 1) != 0 && (source & 1) != 0 && (shadow & 1) == 0) return true;
        return ((source ^ shadow) & mask & 0xe) != 0;
    }

    // ---- exit recording

    /** Records an exit the way the processor does: reason, qualification, addresses, length. */
    public void recordExit(ExitInfo e) {
        long reason = e.reason.isVmx() ? e.reason.number() : 0;
        // Bit 31: a VM-entry failure (SDM Vol. 3C, "VM-Entry Failures During or After Loading Guest State"), reasons 33, 34 and 41.
        if (e.reason == ExitReason.ENTRY_FAILURE_GUEST_STATE || e.reason == ExitReason.ENTRY_FAILURE_MSR_LOADING
                || e.reason == ExitReason.ENTRY_FAILURE_MACHINE_CHECK) reason |= 1L << 31;
        store(VmcsField.EXIT_REASON, reason);
        store(VmcsField.EXIT_QUALIFICATION, e.qualification);
        store(VmcsField.GUEST_LINEAR_ADDRESS, e.guestLinear);
        store(VmcsField.GUEST_PHYSICAL_ADDRESS, e.guestPhysical);
        store(VmcsField.VM_EXIT_INSTRUCTION_LENGTH, e.instructionLength);
        if (e.reason == ExitReason.EXCEPTION_NMI && e.vector >= 0) {
            int type = e.vector == 2 ? InterruptionInfo.TYPE_NMI : InterruptionInfo.TYPE_HARDWARE_EXCEPTION;
            store(VmcsField.VM_EXIT_INTERRUPTION_INFO, InterruptionInfo.encode(e.vector, type, e.errorCode >= 0));
            store(VmcsField.VM_EXIT_INTERRUPTION_ERROR_CODE, Math.max(e.errorCode, 0));
        } else {
            store(VmcsField.VM_EXIT_INTERRUPTION_INFO, 0);
        }
    }

    // ---- printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (VmcsGroup g : VmcsGroup.values()) {
            sb.append(g.viewName()).append(":\n");
            appendGroup(sb, g);
        }
        return sb.toString();
    }

    void appendGroup(StringBuilder sb, VmcsGroup g) {
        for (VmcsField f : FIELDS) {
            if (f.group() != g) continue;
            int digits = f.bits(naturalBits) / 4;
            sb.append(String.format("  %-38s %0" + digits + "x", f.name(), read(f)));
            Class<?> bits = ControlBits.classOf(f);
            if (bits != null && read(f) != 0) sb.append("  ").append(ControlBits.describe(bits, read(f)));
            sb.append('\n');
        }
    }

    /** All field names, for tab completion. */
    public static List<String> names() {
        return java.util.Arrays.stream(FIELDS).map(Enum::name).toList();
    }

    // ---- snapshot

    /** Every field by name (so a reordered field list still loads), the I/O and MSR bitmaps, and the VMWRITE mode. */
    @Override
    public void saveState(StateWriter out) {
        out.i32(naturalBits).bool(exitInfoWritable).i32(FIELDS.length);
        for (VmcsField f : FIELDS) out.string(f.name()).i64(values[f.ordinal()]);
        out.bytes(io.a()).bytes(io.b()).bytes(msrs.bytes());
    }

    @Override
    public void loadState(StateReader in) {
        int bits = in.i32();
        if (bits != naturalBits) throw in.fail("is a " + bits + "-bit VMCS; this one has " + naturalBits + "-bit natural-width fields");
        boolean writable = in.bool();
        int n = in.range(0, 10_000, "field count");
        long[] loaded = values.clone();
        for (int i = 0; i < n; i++) {
            String name = in.string();
            long v = in.i64();
            VmcsField f;
            try {
                f = VmcsField.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw in.fail("has a field " + name + " this VMCS does not know");
            }
            loaded[f.ordinal()] = v & mask(f);
        }
        byte[] a = new byte[IoBitmaps.SIZE], b = new byte[IoBitmaps.SIZE], m = new byte[MsrBitmap.SIZE];
        in.bytesInto(a);
        in.bytesInto(b);
        in.bytesInto(m);
        System.arraycopy(loaded, 0, values, 0, values.length);
        exitInfoWritable = writable;
        System.arraycopy(a, 0, io.a(), 0, a.length);
        System.arraycopy(b, 0, io.b(), 0, b.length);
        System.arraycopy(m, 0, msrs.bytes(), 0, m.length);
    }
}
