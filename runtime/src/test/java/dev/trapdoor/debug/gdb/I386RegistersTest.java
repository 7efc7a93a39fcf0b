package dev.trapdoor.debug.gdb;

import dev.trapdoor.arch.X86Registers;
import org.junit.jupiter.api.Test;

import static dev.trapdoor.debug.gdb.I386Layout.*;
import static org.junit.jupiter.api.Assertions.*;

class I386RegistersTest {
    @Test
    void layoutMatchesGdbsI386CoreFeature() {
        assertEquals(176, SIZE);
        assertEquals(32, offset(EIP));
        assertEquals(40, offset(CS));
        assertEquals(64, offset(ST0));
        assertEquals(74, offset(ST0 + 1));
        assertEquals(144, offset(FCTRL));
        assertEquals(172, offset(FOP));
        assertEquals("gs", register(GS).name());
        assertEquals("float", register(FTAG).group());
        assertThrows(IllegalArgumentException.class, () -> new I386Registers().get(ST0));
    }

    @Test
    void bridgesToTheRuntimeRegisterFile() {
        X86Registers x = X86Registers.flat32(0xC0001000);
        x.gpr[X86Registers.EBX] = 0x1234;
        x.eflags = 0x246;
        x.seg[X86Registers.FS].selector = 0x33;
        I386Registers g = new I386Registers();
        g.loadFrom(x);
        assertEquals(0x1234, g.get(EBX));
        assertEquals(0xC0001000, g.get(EIP));
        assertEquals(0x246, g.get(EFLAGS));
        assertEquals(0x08, g.get(CS));
        assertEquals(0x33, g.get(FS));
        assertEquals(0x10, g.get(SS));

        g.set(ECX, 7);
        g.set(DS, 0x23);
        g.storeTo(x);
        assertEquals(7, x.gpr[X86Registers.ECX]);
        assertEquals(0x23, x.seg[X86Registers.DS].selector);
        assertEquals(0, x.seg[X86Registers.DS].base, "protected mode: a debugger write is not a segment load");

        X86Registers real = X86Registers.realMode(0, 0x7C00);
        g.loadFrom(real);
        g.set(ES, 0xB800);
        g.storeTo(real);
        assertEquals(0xB8000, real.seg[X86Registers.ES].base, "real mode: base is selector * 16");
        assertEquals(0, real.seg[X86Registers.CS].base, "unchanged selectors keep their base");
    }
}
