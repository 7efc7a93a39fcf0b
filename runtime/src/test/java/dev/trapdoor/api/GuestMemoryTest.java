package dev.trapdoor.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GuestMemoryTest {
    @Test
    void typedPeekPokeStringsAndHexdump() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend(new ScriptedBackend()).memory("8K").build();
            GuestMemory m = vm.getMem();
            m.poke32(0x100, 0xdeadbeefL);
            assertEquals(0xef, m.peek8(0x100));
            assertEquals(0xbeef, m.peek16(0x100));
            assertEquals(0xdeadbeefL, m.peek32(0x100));
            m.write(0x200, "Hello\0rest");
            assertEquals("Hello", m.readString(0x200, 64));
            assertEquals(0x200, m.find("Hello", 0, 0x1000));
            assertEquals(-1, m.find("absent", 0, 0x1000));
            m.putAt(0x200, 'J');
            assertEquals('J', m.getAt(0x200));
            assertTrue(m.hexdump(0x200, 16).startsWith("00000200: 4a 65 6c 6c 6f 00"), m.hexdump(0x200, 16));
            // Unassigned space floats high and drops writes: never an exception.
            assertEquals(0xffffffffL, m.peek32(0x10000000L));
            m.poke32(0x10000000L, 1);
            // A dword that straddles the end of RAM: the RAM half is real, the rest floats.
            m.poke8(0x1fff, 0x12);
            assertEquals(0xffffff12L, m.peek32(0x1fff));
        }
    }

    @Test
    void loadRefusesImagesThatDoNotFit() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend(new ScriptedBackend()).memory("4K").build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vm.load(new byte[100], 0xfff0));
            assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
        }
    }

    @Test
    void sizesParse() {
        assertEquals(1 << 20, VmBuilder.parseSize("1M"));
        assertEquals(64L << 20, VmBuilder.parseSize("64MiB"));
        assertEquals(512 << 10, VmBuilder.parseSize("512k"));
        assertEquals(0x1000, VmBuilder.parseSize(0x1000));
        assertThrows(IllegalArgumentException.class, () -> VmBuilder.parseSize("lots"));
    }
}
