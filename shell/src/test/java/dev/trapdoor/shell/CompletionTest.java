package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import org.jline.reader.Candidate;
import org.jline.reader.LineReader;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompletionTest {
    private Terminal terminal;
    private Session session;
    private LineReader reader;
    private ReplCompleter completer;

    @BeforeEach
    void setUp() throws IOException {
        terminal = new DumbTerminal("test", Terminal.TYPE_DUMB, new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(), StandardCharsets.UTF_8);
        session = new Session(Hypervisor.create(), terminal.writer(), terminal.writer(), true);
        session.setVm(session.hv().createVm(Map.of("name", "c1")));
        reader = new Repl(terminal, session, null).reader();
        completer = new ReplCompleter(session);
    }

    @AfterEach
    void tearDown() throws IOException {
        session.close();
        terminal.close();
    }

    private List<String> complete(String line) {
        List<Candidate> out = new ArrayList<>();
        completer.complete(reader, ReplParser.Words.of(line, line.length()), out);
        return out.stream().map(Candidate::value).toList();
    }

    @Test
    void vmMembersIncludeBreakOnAndProperties() {
        List<String> c = complete("vm.");
        assertTrue(c.contains("vm.breakOn("), c.toString());
        assertTrue(c.contains("vm.vcpu"), c.toString());
        assertTrue(c.contains("vm.mem"), c.toString());
        assertFalse(c.contains("vm.getVcpu("), "getters show as properties: " + c);
        assertFalse(c.contains("vm.hashCode("), c.toString());
    }

    @Test
    void chainsResolveThroughPropertyTypes() {
        assertTrue(complete("vm.vcpu.").contains("vm.vcpu.eax"));
        assertTrue(complete("x = vm.vcpu.e").contains("vm.vcpu.eip"));
        assertTrue(complete("hv.").contains("hv.createVm("));
        assertTrue(complete("hv.vm('c1').mem.").contains("hv.vm('c1').mem.hexdump("));
    }

    @Test
    void breakCompletesReasonsThenIfThenTheExit() {
        assertTrue(complete("break ").contains("IO_INSTRUCTION"));
        assertTrue(complete("break IO_").contains("IO_INSTRUCTION"));
        assertTrue(complete("break HLT ").contains("if"));
        assertTrue(complete("break IO_INSTRUCTION if exit.").contains("exit.port"));
    }

    @Test
    void commandsVariablesAndVmNames() {
        List<String> first = complete("");
        assertTrue(first.contains(":load") && first.contains("breakpoints") && first.contains("vm") && first.contains("hv"), first.toString());
        assertTrue(complete("use ").contains("c1"));
    }
}
