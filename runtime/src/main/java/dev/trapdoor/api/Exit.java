package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * One VM exit as scripts see it: Intel's reason number and qualification, the instruction that
 * caused it, addresses, and for I/O and MMIO the access itself. While hooks run the exit is
 * live: {@link #setValue} answers an IN or MMIO read, and the vCPU's registers and memory can be
 * changed through {@link #getVcpu()}. After that it is a record of what happened.
 */
public final class Exit {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Vcpu vcpu;
    private final long sequence;
    private final ExitReason reason;
    private final long qualification;
    private final int instructionLength;
    private final long rip;
    private final long guestLinear;
    private final long guestPhysical;
    private final int vector;
    private final int errorCode;
    private final int port;
    private final int size;
    private final boolean in;
    private final boolean string;
    private final boolean rep;
    private final int count;
    private final String message;
    private MemorySegment live;
    private byte[] retired;
    boolean answered;
    /** The guest exit number (exits the host caused excluded), or -1 for a host-caused exit. */
    long guestNumber;

    Exit(Vcpu vcpu, long sequence, ExitInfo i) {
        this.vcpu = vcpu;
        this.sequence = sequence;
        reason = i.reason;
        qualification = i.qualification;
        instructionLength = i.instructionLength;
        rip = i.rip;
        guestLinear = i.guestLinear;
        guestPhysical = i.guestPhysical;
        vector = i.vector;
        errorCode = i.errorCode;
        port = i.port;
        size = i.size;
        in = i.in;
        string = i.string;
        rep = i.rep;
        count = i.count;
        message = i.message;
        boolean transfer = reason == ExitReason.IO_INSTRUCTION || (reason == ExitReason.EPT_VIOLATION && size > 0);
        live = transfer ? i.data : null;
    }

    public Vcpu getVcpu() { return vcpu; }
    public Vm getVm() { return vcpu.getVm(); }
    /** Position of this exit in the vCPU's exit stream, from 1. */
    public long getSequence() { return sequence; }
    public ExitReason getReason() { return reason; }
    /** Intel's basic exit reason number. */
    public int getNumber() { return reason.number(); }
    public long getQualification() { return qualification; }
    public int getInstructionLength() { return instructionLength; }
    /** Address (EIP) of the instruction that caused the exit. */
    public long getRip() { return rip; }
    public long getGuestLinear() { return guestLinear; }
    public long getGuestPhysical() { return guestPhysical; }
    public int getVector() { return vector; }
    public int getErrorCode() { return errorCode; }
    public int getPort() { return port; }
    /** Access size in bytes for I/O and MMIO. */
    public int getSize() { return size; }
    public boolean isIn() { return in; }
    public boolean isOut() { return reason == ExitReason.IO_INSTRUCTION && !in; }
    public boolean isWrite() { return reason == ExitReason.EPT_VIOLATION && !in; }
    public boolean isString() { return string; }
    public boolean isRep() { return rep; }
    /** Elements moved by a string I/O exit; 1 otherwise. */
    public int getCount() { return count; }
    public String getMessage() { return message; }

    /** The interpreter's record of a debugger stop (watchpoint, mnemonic, port, vector), or null. */
    dev.trapdoor.cpu.DebugHit debugHit;

    public dev.trapdoor.cpu.DebugHit getDebugHit() { return debugHit; }

    /** The data access a watchpoint stopped on (address, size, value, read or write, EIP), or null for other exits. */
    public MemoryAccess getAccess() {
        dev.trapdoor.cpu.DebugHit h = debugHit;
        if (h == null || !dev.trapdoor.cpu.DebugStops.WATCHPOINT.equals(h.kind())) return null;
        return new MemoryAccess(h.linear(), h.physical(), h.size(), h.value(), h.write(), h.eip());
    }

    /** Whether an EXCEPTION_NMI exit's message names a debugger stop the guest never saw (the next entry goes on). */
    static boolean isDebuggerStop(String message) {
        return switch (message) {
            case dev.trapdoor.cpu.DebugStops.BREAKPOINT, dev.trapdoor.cpu.DebugStops.WATCHPOINT, dev.trapdoor.cpu.DebugStops.MNEMONIC,
                 dev.trapdoor.cpu.DebugStops.PORT, dev.trapdoor.cpu.DebugStops.VECTOR -> true;
            case null, default -> false;
        };
    }
    public boolean is(String reasonName) { return reason == ExitReason.byName(reasonName); }

    /** The first element of the transfer: the byte/word/dword an OUT or MMIO write carries, or what an IN got. */
    public long getValue() {
        if (live != null) return read(live, 0, size);
        if (retired != null && retired.length >= size) return read(MemorySegment.ofArray(retired), 0, size);
        return 0;
    }

    /** Answers an IN or MMIO read (only while the exit is live). A hook that answers should return HANDLED. */
    public void setValue(long v) {
        if (live == null) throw new IllegalStateException("exit #" + sequence + " is no longer live: set values from a hook");
        if (!in) throw new IllegalStateException("exit #" + sequence + " is not a read; change the guest's registers or memory instead");
        vcpu.getVm().recordReplay().note(vcpu, Recording.Kind.EXIT_VALUE, "", v, 0, null);
        write(live, 0, size, v);
        answered = true;
    }

    /** All bytes of the transfer (count x size). */
    public byte[] getData() {
        if (live != null) return live.asSlice(0, (long) count * size).toArray(ValueLayout.JAVA_BYTE);
        return retired == null ? new byte[0] : retired.clone();
    }

    /** The transfer as text (string OUTs of a message), for printing. */
    public String getText() {
        return new String(getData(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    MemorySegment liveData() {
        return live;
    }

    /** Ends the live phase: the transfer is copied so the record stays readable. */
    void retire() {
        if (live != null) {
            retired = live.asSlice(0, Math.min(live.byteSize(), (long) count * size)).toArray(ValueLayout.JAVA_BYTE);
            live = null;
        }
    }

    static long read(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> s.get(U16, off) & 0xffffL;
            case 4 -> s.get(U32, off) & 0xffffffffL;
            default -> s.get(U64, off);
        };
    }

    static void write(MemorySegment s, long off, int size, long v) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> s.set(U16, off, (short) v);
            case 4 -> s.set(U32, off, (int) v);
            default -> s.set(U64, off, v);
        }
    }

    /** A data form for scripts. */
    public Map<String, Object> toMap() {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("sequence", sequence);
        m.put("reason", reason.name());
        m.put("number", reason.number());
        m.put("qualification", qualification);
        m.put("rip", rip);
        m.put("instructionLength", instructionLength);
        if (reason == ExitReason.IO_INSTRUCTION) {
            m.put("port", port);
            m.put("size", size);
            m.put("direction", in ? "in" : "out");
            m.put("string", string);
            m.put("rep", rep);
            m.put("count", count);
            if (!in) m.put("value", getValue());
        } else if (reason == ExitReason.EPT_VIOLATION) {
            m.put("guestPhysical", guestPhysical);
            m.put("guestLinear", guestLinear);
            m.put("size", size);
            m.put("access", in ? "read" : "write");
            if (!in) m.put("value", getValue());
        }
        if (vector >= 0) m.put("vector", vector);
        if (errorCode >= 0) m.put("errorCode", errorCode);
        if (!message.isEmpty()) m.put("message", message);
        return m;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        b.append(reason.name());
        if (reason.isVmx()) b.append('(').append(reason.number()).append(')');
        b.append(String.format(" rip=%08x", rip));
        switch (reason) {
            case IO_INSTRUCTION -> {
                b.append(in ? " in" : " out").append(string ? (rep ? " rep-string" : " string") : "");
                b.append(String.format(" port=%#x size=%d", port, size));
                if (count != 1) b.append(" count=").append(count);
                if (!in) {
                    b.append(String.format(" value=%#x", getValue()));
                    if (size == 1 && count == 1) {
                        int c = (int) getValue();
                        if (c >= 0x20 && c < 0x7f) b.append(" '").append((char) c).append('\'');
                    }
                }
            }
            case EPT_VIOLATION -> {
                b.append(String.format(" gpa=%#x size=%d %s", guestPhysical, size, in ? "read" : "write"));
                if (!in) b.append(String.format(" value=%#x", getValue()));
            }
            default -> { }
        }
        if (vector >= 0) b.append(" vector=").append(vector);
        if (errorCode >= 0) b.append(String.format(" error=%#x", errorCode));
        b.append(String.format(" qual=%#x", qualification));
        if (!message.isEmpty()) b.append(" (").append(message).append(')');
        return b.toString();
    }
}
