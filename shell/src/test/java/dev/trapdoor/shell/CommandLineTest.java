package dev.trapdoor.shell;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CommandLineTest {
    @Test
    void debuggerWordsOnlyInTheirOwnSyntax() {
        assertEquals("run", CommandLine.parse("  run ").word());
        assertNull(CommandLine.parse("run = 5"));
        assertNull(CommandLine.parse("c = vm.vcpu"));
        assertEquals("0x1100 16", CommandLine.parse("mem 0x1100 16").rest());
        assertNull(CommandLine.parse("mem = vm.mem"));
        assertNull(CommandLine.parse("mem.peek8(0)"));
        assertEquals("IO_INSTRUCTION if exit.port == 0x3f8", CommandLine.parse("break IO_INSTRUCTION if exit.port == 0x3f8").rest());
        assertNull(CommandLine.parse("delete vm"));
        assertEquals("vm1", CommandLine.parse("use vm1").rest());
        assertNull(CommandLine.parse("use(Foo) {\n}"));
        assertEquals(":load", CommandLine.parse(":load x.groovy").word());
    }

    @Test
    void literals() {
        assertEquals(0x1100L, Literals.number("0x1100"));
        assertEquals(42L, Literals.number("42"));
        assertNull(Literals.number("vm.vcpu.esi"));
        assertArrayEquals(new byte[] {'H', 'i', '\n', 0, (byte) 0xff, '"'}, Literals.stringBytes("\"Hi\\n\\0\\xff\\\"\""));
        assertEquals(java.util.List.of("0x10", "\"a b\"", "3"), Literals.split("0x10 \"a b\"  3"));
        assertThrows(IllegalArgumentException.class, () -> Literals.stringBytes("\"\\x4\""));
        assertThrows(IllegalArgumentException.class, () -> Literals.split("\"open"));
    }

    @Test
    void groovyInputThatIsStillOpen() {
        assertEquals(true, GroovyInput.open("def f() {"));
        assertEquals(true, GroovyInput.open("foo(1,"));
        assertEquals(true, GroovyInput.open("x = '''abc"));
        assertEquals(false, GroovyInput.open("x = '{'"));
        assertEquals(false, GroovyInput.open("f(1) // (comment"));
        assertEquals(true, GroovyInput.open("/* note"));
    }
}
