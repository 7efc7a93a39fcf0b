package dev.trapdoor.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoInstructionLocatorTest {
    private static IoInstructionLocator.CodeReader code(int base, int... bytes) {
        return lin -> lin >= base && lin < base + bytes.length ? bytes[(int) (lin - base)] : -1;
    }

    @Test
    void decodesEveryFormWithItsSize() {
        IoInstructionLocator d = new IoInstructionLocator();
        assertTrue(d.decode(code(0, 0xe6, 0x80), 0, false));
        assertEquals(2, d.length);
        assertTrue(d.immediate);
        assertEquals(0x80, d.immediatePort);
        assertFalse(d.in);
        assertEquals(1, d.size);

        assertTrue(d.decode(code(0, 0xed), 0, false));
        assertTrue(d.in);
        assertEquals(2, d.size, "16-bit code: ED is IN AX, DX");
        assertTrue(d.decode(code(0, 0x66, 0xed), 0, false));
        assertEquals(4, d.size);
        assertEquals(2, d.length);
        assertTrue(d.decode(code(0, 0xed), 0, true));
        assertEquals(4, d.size, "32-bit code: ED is IN EAX, DX");

        assertTrue(d.decode(code(0, 0xf3, 0x26, 0x6e), 0, false));
        assertTrue(d.string);
        assertTrue(d.rep);
        assertEquals(3, d.length);
        assertFalse(d.decode(code(0, 0x90), 0, false));
        assertFalse(d.decode(code(0, 0xe6), 0, false), "the port byte is missing");
    }

    @Test
    void locatesARetiredOutBehindRip() {
        IoInstructionLocator d = new IoInstructionLocator();
        // mov dx,0x3f8; mov al,'H'; out dx,al  with RIP after the OUT
        var c = code(0x1000, 0xba, 0xf8, 0x03, 0xb0, 'H', 0xee, 0xf4);
        assertEquals(0x1005, d.locateBefore(c, 0x1006, false, false, 1, 0x3f8, 0x3f8, 1));
        assertEquals(1, d.length);
        // E6 EE is OUT 0xEE, AL when DX does not hold the port
        var imm = code(0x10, 0xe6, 0xee, 0xf4);
        assertEquals(0x10, d.locateBefore(imm, 0x12, false, false, 1, 0xee, 0x3f8, 1));
        assertTrue(d.immediate);
        // the REP prefix belongs to the OUTS
        var reps = code(0x20, 0x90, 0xf3, 0x6e, 0xf4);
        assertEquals(0x21, d.locateBefore(reps, 0x23, false, false, 1, 0x80, 0x80, 1));
        assertTrue(d.rep);
        // an operand-size prefix is taken only when the size says so
        var wide = code(0x30, 0x66, 0xef);
        assertEquals(0x31, d.locateBefore(wide, 0x32, false, false, 2, 0x80, 0x80, 1));
        assertEquals(0x30, d.locateBefore(wide, 0x32, false, false, 4, 0x80, 0x80, 1));
        assertEquals(-1, d.locateBefore(wide, 0x32, false, true, 4, 0x80, 0x80, 1), "no IN there");
    }
}
