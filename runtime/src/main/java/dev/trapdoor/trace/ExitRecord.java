package dev.trapdoor.trace;

import dev.trapdoor.api.Exit;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * One VM exit as a plain value for traces: what {@link ExitTraceWriter} and
 * {@link ChromeTraceWriter} write and {@link ExitTraceReader} reads back.
 *
 * @param seq               position in the vCPU's exit stream, from 1
 * @param vcpu              vCPU index
 * @param reason            exit reason name ({@link ExitReason} names; kept as text so traces from newer versions still read)
 * @param number            Intel's basic exit reason number (SDM Vol. 3C, Appendix C), or Trapdoor's pseudo numbers from 0x10000
 * @param qualification     exit qualification (SDM Vol. 3C, 28.2.1)
 * @param rip               address of the instruction that caused the exit
 * @param instructionLength VM-exit instruction length, 0 if not instruction-caused
 * @param virtualTimeNanos  guest virtual time of the exit in nanoseconds, or {@link #NO_TIME}
 * @param port              I/O port (IO_INSTRUCTION), else 0
 * @param size              access size in bytes (I/O and MMIO), else 0
 * @param in                IN / MMIO read (true) or OUT / MMIO write (false)
 * @param value             first element of the transfer (I/O and MMIO), else 0
 * @param count             elements moved (string I/O), 1 otherwise
 * @param gpa               guest-physical address (EPT_VIOLATION), else 0
 * @param gla               guest-linear address where the SDM defines one, else 0
 * @param vector            exception vector (EXCEPTION_NMI) or -1
 * @param errorCode         exception error code or -1
 * @param message           detail for INTERNAL_ERROR / STOP_REQUEST, else ""
 */
public record ExitRecord(long seq, int vcpu, String reason, int number, long qualification, long rip,
                         int instructionLength, long virtualTimeNanos, int port, int size, boolean in, long value,
                         int count, long gpa, long gla, int vector, int errorCode, String message) {

    /** virtualTimeNanos when the exit's virtual time is not known. */
    public static final long NO_TIME = -1;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public ExitRecord {
        Objects.requireNonNull(reason, "reason");
        message = message == null ? "" : message;
        if (virtualTimeNanos < 0) virtualTimeNanos = NO_TIME;
    }

    /** From the API's exit; pass {@link #NO_TIME} when the virtual time is not known. */
    public static ExitRecord of(Exit e, long virtualTimeNanos) {
        ExitReason r = e.getReason();
        boolean transfer = isTransfer(r, e.getSize());
        return new ExitRecord(e.getSequence(), e.getVcpu() == null ? 0 : e.getVcpu().getIndex(), r.name(), r.number(),
                e.getQualification(), e.getRip(), e.getInstructionLength(), virtualTimeNanos,
                r == ExitReason.IO_INSTRUCTION ? e.getPort() : 0, transfer ? e.getSize() : 0, transfer && e.isIn(),
                transfer ? e.getValue() : 0, e.getCount(), r == ExitReason.EPT_VIOLATION ? e.getGuestPhysical() : 0,
                e.getGuestLinear(), e.getVector(), e.getErrorCode(), e.getMessage());
    }

    /**
     * From a backend's exit info directly (for a tracer below the API). The value is read from
     * {@code info.data} as it is now: for an IN or MMIO read, call this after the handler answered.
     */
    public static ExitRecord of(ExitInfo info, long seq, int vcpu, long virtualTimeNanos) {
        ExitReason r = info.reason;
        boolean transfer = isTransfer(r, info.size);
        long value = transfer ? first(info.data, info.size) : 0;
        return new ExitRecord(seq, vcpu, r.name(), r.number(), info.qualification, info.rip, info.instructionLength,
                virtualTimeNanos, r == ExitReason.IO_INSTRUCTION ? info.port : 0, transfer ? info.size : 0,
                transfer && info.in, value, info.count, r == ExitReason.EPT_VIOLATION ? info.guestPhysical : 0,
                info.guestLinear, info.vector, info.errorCode, info.message);
    }

    private static boolean isTransfer(ExitReason r, int size) {
        return r == ExitReason.IO_INSTRUCTION || (r == ExitReason.EPT_VIOLATION && size > 0);
    }

    private static long first(MemorySegment s, int size) {
        if (s == null || s.byteSize() < size || size <= 0) return 0;
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, 0) & 0xffL;
            case 2 -> s.get(U16, 0) & 0xffffL;
            case 4 -> s.get(U32, 0) & 0xffffffffL;
            case 8 -> s.get(U64, 0);
            default -> 0;
        };
    }

    public boolean isIo() { return number == ExitReason.IO_INSTRUCTION.number(); }

    public boolean isEpt() { return number == ExitReason.EPT_VIOLATION.number(); }

    /** Was this an MMIO access (an EPT violation carrying a transfer)? */
    public boolean isMmio() { return isEpt() && size > 0; }

    public boolean hasTime() { return virtualTimeNanos != NO_TIME; }

    /** The same exit with a virtual time attached. */
    public ExitRecord withTime(long nanos) {
        return new ExitRecord(seq, vcpu, reason, number, qualification, rip, instructionLength, nanos, port, size, in,
                value, count, gpa, gla, vector, errorCode, message);
    }
}
