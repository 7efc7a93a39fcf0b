package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Flag results of the arithmetic families, run as guest code: mov eax,a; mov ebx,b; stc/clc;
 * the instruction; pushf; pop ecx; hlt. The expected results and flags were produced by the same
 * instructions on the host CPU (32-bit operations in a 64-bit process behave identically); the
 * mask keeps only the flags the SDM defines for the instruction.
 */
class AluFlagsTest {
    static int run(String op, int a, int b, boolean carryIn, int[] resultOut) {
        byte[] prologue = Guest.hex("b8" + le(a) + "bb" + le(b) + (carryIn ? "f9" : "f8"));
        byte[] body = Guest.hex(op);
        byte[] epilogue = Guest.hex("9c 59 f4");
        byte[] code = new byte[prologue.length + body.length + epilogue.length];
        System.arraycopy(prologue, 0, code, 0, prologue.length);
        System.arraycopy(body, 0, code, prologue.length, body.length);
        System.arraycopy(epilogue, 0, code, prologue.length + body.length, epilogue.length);
        try (Guest g = Guest.flat32(0x1000, code)) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            X86Registers r = g.regs();
            resultOut[0] = r.gpr[X86Registers.EAX];
            resultOut[1] = r.gpr[X86Registers.EDX];
            return r.gpr[X86Registers.ECX];
        }
    }

    static String le(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    }

    @ParameterizedTest(name = "{0} a={2} b={3} cf={4}")
    @CsvSource({
            // name, encoding, a, b, carry in, result, flags (host), defined-flags mask
            "add,   01d8,   7fffffff, 00000001, false, 80000000, 894, 8d5",
            "add,   01d8,   ffffffff, 00000001, false, 00000000, 055, 8d5",
            "add,   01d8,   80000000, 80000000, false, 00000000, 845, 8d5",
            "add,   01d8,   0000000f, 00000001, false, 00000010, 010, 8d5",
            "addb,  00d8,   000000ff, 00000001, false, 00000000, 055, 8d5",
            "addb,  00d8,   0000007f, 00000001, false, 00000080, 890, 8d5",
            "sub,   29d8,   00000000, 00000001, false, ffffffff, 095, 8d5",
            "sub,   29d8,   80000000, 00000001, false, 7fffffff, 814, 8d5",
            "sub,   29d8,   00000005, 00000005, false, 00000000, 044, 8d5",
            "adc,   11d8,   ffffffff, 00000000, true,  00000000, 055, 8d5",
            "adc,   11d8,   7fffffff, 00000000, true,  80000000, 894, 8d5",
            "adc,   11d8,   ffffffff, ffffffff, true,  ffffffff, 095, 8d5",
            "sbb,   19d8,   00000000, 00000000, true,  ffffffff, 095, 8d5",
            "sbb,   19d8,   00000005, 00000005, true,  ffffffff, 095, 8d5",
            "sbb,   19d8,   80000000, 00000000, true,  7fffffff, 814, 8d5",
            "inc,   40,     7fffffff, 00000000, true,  80000000, 895, 8d5",
            "incb,  fec0,   000000ff, 00000000, false, 00000000, 054, 8d5",
            "dec,   48,     80000000, 00000000, true,  7fffffff, 815, 8d5",
            "dec,   48,     00000001, 00000000, false, 00000000, 044, 8d5",
            "neg,   f7d8,   00000000, 00000000, true,  00000000, 044, 8d5",
            "neg,   f7d8,   00000001, 00000000, false, ffffffff, 095, 8d5",
            "neg,   f7d8,   80000000, 00000000, false, 80000000, 885, 8d5",
            "shl1,  d1e0,   80000000, 00000000, false, 00000000, 855, 8c5",
            "shl1,  d1e0,   40000000, 00000000, false, 80000000, 894, 8c5",
            "shl4,  c1e004, 18000000, 00000000, false, 80000000, 095, 0c5",
            "shr1,  d1e8,   00000001, 00000000, false, 00000000, 055, 8c5",
            "shr1,  d1e8,   80000000, 00000000, true,  40000000, 814, 8c5",
            "sar1,  d1f8,   80000001, 00000000, false, c0000000, 095, 8c5",
            "sar31, c1f81f, 80000000, 00000000, false, ffffffff, 094, 0c5",
            "shrb1, d0e8,   00000081, 00000000, false, 00000040, 811, 8c5",
            "rol1,  d1c0,   80000000, 00000000, false, 00000001, 801, 801",
            "rol1,  d1c0,   40000000, 00000000, false, 80000000, 800, 801",
            "ror1,  d1c8,   00000001, 00000000, false, 80000000, 801, 801",
            "rolb1, d0c0,   00000080, 00000000, false, 00000001, 801, 801",
            "rcl1,  d1d0,   80000000, 00000000, true,  00000001, 801, 801",
            "rcr1,  d1d8,   00000001, 00000000, true,  80000000, 801, 801",
            "mul,   f7e3,   80000000, 00000002, false, 00000000, 801, 801",
            "mul,   f7e3,   00000002, 00000003, true,  00000006, 000, 801",
            "imul1, f7eb,   ffffffff, 00000001, false, ffffffff, 000, 801",
            "imul1, f7eb,   40000000, 00000002, false, 80000000, 801, 801",
            "imul2, 0fafc3, 00010000, 00010000, false, 00000000, 801, 801",
            "xor,   31c0,   00001234, 00000000, true,  00000000, 044, 8c5",
    })
    void flagsMatchTheHost(String name, String enc, String a, String b, boolean cin, String result, String flags, String mask) {
        int[] out = new int[2];
        int got = run(enc, (int) Long.parseLong(a, 16), (int) Long.parseLong(b, 16), cin, out);
        int m = Integer.parseInt(mask, 16);
        assertEquals((int) Long.parseLong(result, 16), out[0], "result of " + name);
        assertEquals(Integer.toHexString(Integer.parseInt(flags, 16) & m), Integer.toHexString(got & m), "flags of " + name);
        assertEquals(2, got & 0x2a, "reserved bit 1 set, 3 and 5 clear");
    }

    @Test
    void mulWidensIntoEdx() {
        int[] out = new int[2];
        run("f7e3", 0x80000000, 2, false, out);
        assertEquals(0, out[0]);
        assertEquals(1, out[1]);
    }

    @Test
    void unsignedAndSignedDivide() {
        // mov eax,100; xor edx,edx; mov ebx,7; div ebx; mov esi,eax; mov edi,edx;
        // mov eax,-7; cdq; mov ebx,2; idiv ebx; hlt
        byte[] code = Guest.hex("b864000000 31d2 bb07000000 f7f3 89c6 89d7 b8f9ffffff 99 bb02000000 f7fb f4");
        try (Guest g = Guest.flat32(0x1000, code)) {
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            assertEquals(14, r.gpr[X86Registers.ESI]);
            assertEquals(2, r.gpr[X86Registers.EDI]);
            assertEquals(-3, r.gpr[X86Registers.EAX]);
            assertEquals(-1, r.gpr[X86Registers.EDX]);
        }
    }

    @Test
    void divideByZeroAndQuotientOverflowRaiseDivideError() {
        // xor ebx,ebx; div ebx  -> #DE;  then mov edx,1; xor eax,eax; inc ebx; div ebx -> #DE (quotient 2^32)
        byte[] code = Guest.hex("31db f7f3 ba01000000 31c0 43 f7f3 f4");
        try (Guest g = Guest.flat32(0x1000, code)) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1); // #DE exits
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(0, e.vector);
            assertEquals(-1, e.errorCode);
            assertEquals(0x1002, e.rip, "a fault reports the faulting instruction");
            X86Registers r = g.regs();
            r.eip = 0x1004; // the handler skips the div
            g.vcpu.setRegisters(r);
            e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(0, e.vector);
            assertEquals(0x100c, e.rip);
        }
    }

    @Test
    void eightBitDivideAndSixteenBitMultiply() {
        // mov ax,0x0107 (263); mov bl,10; div bl -> al=26 ah=3;  mov cx,ax; mov ax,0x8000; mov dx,2; mul dx -> dx:ax=0x1:0000
        byte[] code = Guest.hex("66b80701 b30a f6f3 6689c1 66b80080 66ba0200 66f7e2 f4");
        try (Guest g = Guest.flat32(0x1000, code)) {
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            assertEquals(0x031a, r.gpr[X86Registers.ECX] & 0xffff);
            assertEquals(0, r.gpr[X86Registers.EAX] & 0xffff);
            assertEquals(1, r.gpr[X86Registers.EDX] & 0xffff);
        }
    }
}
