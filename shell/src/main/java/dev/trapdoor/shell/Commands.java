package dev.trapdoor.shell;

import dev.trapdoor.api.Breakpoint;
import dev.trapdoor.api.ExitCondition;
import dev.trapdoor.api.ExitWatch;
import dev.trapdoor.api.GdbStub;
import dev.trapdoor.api.Vm;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The shell's own words: session commands (:help, :load, ...) and debugger words on the current VM. */
final class Commands {
    enum Outcome { DONE, QUIT }

    static final String HELP = """
            Type Groovy (or JavaScript after :js); the value of an expression is printed.
            hv is the hypervisor, vm the current VM; both languages see the same ones.
              :help                     this text
              :load FILE                run a .groovy or .js file in this session
              :js  :groovy              switch language
              :quit                     leave (Ctrl-D too)
              break REASON [if EXPR]    stop on exits of REASON (name or SDM number); EXPR is in the
                                        current language and sees the exit as `exit`, e.g.
                                        break IO_INSTRUCTION if exit.port == 0x3f8
              break at ADDR [if EXPR]   stop before the instruction at linear ADDR (interpreter)
              break insn MNEMONIC       stop before every such instruction, e.g. break insn cpuid
              break port LO[-HI]        stop before IN/OUT/INS/OUTS on those ports
              break mmio LO-HI          stop after an access to guest-physical LO..HI (a device's registers)
              break vector N            stop when the CPU delivers vector N (EIP at the handler)
                                        (each takes [if EXPR] too)
              watch [phys] ADDR [LEN] [r|w|rw] [if EXPR]
                                        stop after an instruction that reads (r), writes (w, the default)
                                        or does either (rw) a byte of ADDR..ADDR+LEN-1 (LEN defaults to
                                        4; phys: guest-physical ADDR); the stop shows the access, and
                                        EXPR sees it as exit.access (address, size, value, write, eip)
              delete N                  delete breakpoint or hook N
              breakpoints               list breakpoints and hooks
              run                       run the current VM; after a breakpoint it continues
              continue, c               continue after a breakpoint or Ctrl-] (Ctrl-C stops a running guest
                                        whose console is not attached)
              reset                     vCPU back to real mode at 0000:1000 (the demo VM also reloads its guest)
              regs                      registers of the current VM's vCPU
              exits                     exits counted by reason
              mem ADDR [LEN]            hexdump of guest-physical memory (LEN defaults to 64)
              poke ADDR "text"|BYTES    write a string (escapes \\n \\0 \\xNN) or byte values
              vms                       list VMs (* marks the current one)
              use NAME                  make VM NAME the current one
              gdb [PORT]                start the GDB stub for the current VM (no PORT: a free one) and
                                        print the port: in gdb, target remote :PORT. gdb's monitor
                                        runs exits, regs, why and the shell's mem, poke, breakpoints, vms
              gdb stop                  close the stub (gdb is disconnected, the guest stays stopped)
              dis [ADDR [N]]            disassemble N instructions (default 10) at ADDR or at CS:EIP
              step [N]                  execute N instructions (KVM: single-step traps), show registers and the next one
              until ADDR                run until the instruction at ADDR is next (a temporary breakpoint)
              translate VA              the guest-physical address of a linear one, through the guest's paging (each step)
              vmcs                      the VMCS by group (interpreter)
              devices                   the devices, their ports and the memory map
              snapshot [NAME|FILE]      save the whole machine (RAM, vCPU, VMCS, devices, clock) under NAME
                                        (default s1, s2, ...) or, for a path (with / or .snap), to a file
              restore NAME|FILE         put the machine back in a snapshot's state (a file from another
                                        machine or a damaged one is refused and changes nothing)
              record [N]                record outside inputs (serial bytes, script changes) from here, with
                                        a checkpoint every N guest exits (default 10000); record stop ends it;
                                        record replay restores the recording's start and replays it
              rc [REASON]               reverse-continue: back to the previous exit of REASON (any if none),
                                        replayed from the nearest checkpoint; continue then replays onward
              reverse-step [N], rs [N]  back N instructions (default 1)
            Guest console: a VM made with console: term gets the keyboard while it runs: keys go to its
            serial port, Ctrl-C too (it interrupts a command in the guest's shell); Ctrl-] pauses the guest
            and returns here, continue attaches again. In scripts: term.run(vm) runs with the keys attached.
            Linux: trapdoor boot --kernel FILE ... on the command line, or examples/linux/boot.groovy.
            In scripts: vm.breakOn(IO_INSTRUCTION), vm.onExit(HLT) { e -> HANDLED },
            vm.vcpu.eax, vm.mem.peek8(0x1100), hv.createVm(name: 'b', memory: '1M', console: term),
            vm.exits.table(). JS: vm.onExit(HLT, e => HANDLED), hv.createVm({name: 'b'}).""";

    private static final Pattern BREAK = Pattern.compile("(\\S+)(?:\\s+if\\s+(.+))?", Pattern.DOTALL);

    /** The shell words gdb's monitor may run: they neither run the VM nor evaluate script code. */
    private static final Set<String> MONITOR_WORDS = Set.of("mem", "poke", "breakpoints", "vms");

    private final Session s;
    private final PrintWriter out;
    /** Running for gdb's monitor on the stub's thread: no script evaluation (the engines belong to the prompt). */
    private final boolean forMonitor;

    Commands(Session session) {
        this(session, session.out(), false);
    }

    private Commands(Session session, PrintWriter out, boolean forMonitor) {
        this.s = session;
        this.out = out;
        this.forMonitor = forMonitor;
    }

    Outcome execute(CommandLine c) {
        try {
            return dispatch(c);
        } catch (RuntimeException | LinkageError e) {
            out.println("error: " + ErrorLine.describe(e, "<command>", ErrorLine.Origin.PROMPT_LINE));
            return Outcome.DONE;
        } finally {
            out.flush();
        }
    }

    private Outcome dispatch(CommandLine c) {
        switch (c.word()) {
            case ":help", ":h", ":?" -> out.println(HELP);
            case ":quit", ":q", ":exit", "quit", "exit" -> { return Outcome.QUIT; }
            case ":js" -> switchTo(Language.JS);
            case ":groovy" -> switchTo(Language.GROOVY);
            case ":load" -> load(c.rest());
            case "break" -> breakOn(c.rest());
            case "watch" -> watch(c.rest());
            case "delete" -> delete(c.rest());
            case "breakpoints" -> listWatches();
            case "run", "continue", "c" -> s.runVm(vm());
            case "reset" -> reset();
            case "regs" -> out.println(vm().getVcpu().regsText());
            case "exits" -> out.println(vm().getExits().table());
            case "mem" -> mem(c.rest());
            case "poke" -> poke(c.rest());
            case "vms" -> listVms();
            case "use" -> use(c.rest());
            case "gdb" -> gdb(c.rest());
            case "dis" -> dis(c.rest());
            case "step" -> step(c.rest());
            case "until" -> until(c.rest());
            case "translate" -> translate(c.rest());
            case "vmcs" -> out.println(vm().getVmcs() == null ? "the " + vm().getBackend() + " backend has no VMCS a script can see" : vm().getVmcs());
            case "devices" -> devices();
            case "snapshot" -> snapshot(c.rest());
            case "restore" -> restore(c.rest());
            case "record" -> record(c.rest());
            case "rc" -> reverse(vm().getVcpu().reverseContinue(c.rest().isEmpty() ? null : reasonArgument(c.rest())));
            case "reverse-step", "rs" -> reverse(vm().getVcpu().reverseStep(c.rest().isEmpty() ? 1 : number(c.rest())));
            default -> out.println("error: unknown command " + c.word() + " (:help lists them)");
        }
        return Outcome.DONE;
    }

    /** dis [ADDR [N]]: N instructions (default 10) at a linear address, or at CS:EIP. */
    private void dis(String args) {
        List<String> a = Literals.split(args);
        int n = a.size() > 1 ? (int) number(a.get(1)) : 10;
        if (n <= 0 || n > 10_000) throw new IllegalArgumentException("N must be between 1 and 10000, not " + n);
        out.println(a.isEmpty() ? vm().getVcpu().disassemble(n) : vm().getVcpu().disassemble(number(a.get(0)), n));
    }

    /** step [N]: N instructions (interpreter), then the registers and the next instruction. */
    private void step(String args) {
        long n = args.isBlank() ? 1 : number(args.trim());
        var r = vm().getVcpu().step(n);
        if (r.reason() != dev.trapdoor.api.StopReason.STEPPED) out.println(r);
        out.println(vm().getVcpu().regsText());
        out.println(vm().getVcpu().disassemble(1));
    }

    /** until ADDR: a run that stops before the instruction at ADDR (or earlier, if something else stops it). */
    private void until(String args) {
        if (args.isBlank()) throw new IllegalArgumentException("until needs an address: until 0x1048");
        var r = vm().getVcpu().until(number(args.trim()));
        out.println(r);
        out.println(vm().getVcpu().regsText());
        out.println(vm().getVcpu().disassemble(1));
    }

    /** snapshot [NAME|FILE]: a named snapshot kept by the VM, or a snapshot file. */
    private void snapshot(String args) {
        Vm v = vm();
        String a = unquote(args);
        if (isFile(a)) {
            out.println(v.save(a) + " written to " + a);
            return;
        }
        String name = a;
        for (int i = 1; name.isEmpty(); i++) if (!v.getSnapshots().containsKey("s" + i)) name = "s" + i;
        out.println(name + ": " + v.snapshot(name));
    }

    /** restore NAME|FILE. */
    private void restore(String args) {
        Vm v = vm();
        String a = unquote(args);
        if (!v.getSnapshots().containsKey(a) && !isFile(a))
            throw new IllegalArgumentException("no snapshot named " + a + " (names: " + v.getSnapshots().keySet() + "; files need a / or .snap)");
        v.restore(a);
        out.println("restored " + a + ": " + v.getVcpu().getInstructions() + " instructions");
        out.println(v.getVcpu().regsText());
    }

    private static boolean isFile(String a) {
        return a.contains("/") || a.endsWith(".snap");
    }

    private static String unquote(String a) {
        return Literals.isQuoted(a) ? a.substring(1, a.length() - 1) : a;
    }

    /** record [N] | record stop | record replay. */
    private void record(String args) {
        Vm v = vm();
        switch (args) {
            case "stop" -> out.println(v.stopRecording());
            case "replay" -> {
                var r = v.getRecording();
                if (r == null) throw new IllegalStateException("no recording: record first");
                v.replay(r);
                out.println("replaying " + r);
            }
            default -> out.println(v.record(args.isEmpty() ? 10_000 : number(args)));
        }
    }

    private static Object reasonArgument(String text) {
        Long n = Literals.number(text);
        return n != null ? (Object) n.intValue() : text;
    }

    private void reverse(dev.trapdoor.api.RunResult r) {
        out.println(r);
        out.println(vm().getVcpu().regsText());
        out.println(vm().getVcpu().disassemble(1));
    }


    /**
     * translate VA: the guest-physical address behind a linear one, through the guest's page
     * tables; on the interpreter every step of the guest walk and of the EPT walk beneath it.
     */
    private void translate(String args) {
        long va = number(args.trim());
        if ("interp".equals(vm().getBackend())) {
            out.print(vm().getVcpu().walk(va));
            return;
        }
        long pa = vm().getVcpu().translate(va);
        out.println(pa < 0 ? String.format("%#x: not mapped", va) : String.format("%#x -> %#x", va, pa));
    }

    /** devices: every device by name, with the port ranges and memory windows it claims. */
    private void devices() {
        Vm v = vm();
        for (var d : v.getDevices().entrySet()) {
            StringBuilder claims = new StringBuilder();
            for (var m : v.io().mappings()) if (m.device() == d.getValue() || m.name().equals(d.getKey())) claims.append(String.format(" %04x-%04x", m.base(), m.base() + m.count() - 1));
            out.printf("%-12s %-28s%s%n", d.getKey(), d.getValue().getClass().getSimpleName(), claims);
        }
        for (var r : v.getMem().getRegions()) out.println("  " + r);
    }

    private Vm vm() {
        Vm v = s.vm();
        if (v == null) throw new IllegalStateException("there is no current VM: make one with vm = hv.createVm(name: 'x')");
        return v;
    }

    private void switchTo(Language l) {
        if (!s.isReady(l)) out.println("(starting " + (l == Language.JS ? "JavaScript" : "Groovy") + "...)");
        out.flush();
        s.setLanguage(l);
    }

    private void load(String file) {
        if (file.isEmpty()) throw new IllegalArgumentException(":load needs a file name");
        String name = Literals.isQuoted(file) ? file.substring(1, file.length() - 1) : file;
        int status = s.runFile(Path.of(name));
        if (status != 0) out.println("(" + name + " ended with status " + status + ")");
    }

    private static final Pattern WATCH = Pattern.compile(
            "(?:(phys)\\s+)?(\\S+)(?:\\s+(?!if\\b)(?!rw\\b|wr\\b|r\\b|w\\b)(\\S+))?(?:\\s+(rw|wr|r|w)\\b)?(?:\\s+if\\s+(.+))?", Pattern.DOTALL);

    private void watch(String args) {
        Matcher m = WATCH.matcher(args.strip());
        if (!m.matches()) throw new IllegalArgumentException("usage: watch [phys] ADDR [LEN] [r|w|rw] [if EXPR], e.g. watch 0x2000 4 rw");
        long address = number(m.group(2), "address");
        long length = m.group(3) == null ? 4 : number(m.group(3), "length");
        String rw = m.group(4) == null ? "w" : m.group(4);
        String condText = m.group(5) == null ? null : m.group(5).strip();
        ExitCondition cond = condText == null ? null : s.condition(condText);
        Breakpoint b = m.group(1) != null ? vm().watchPhysical(address, length, rw, cond, condText) : vm().watch(address, length, rw, cond, condText);
        out.println(b);
    }

    private static long number(String text, String what) {
        Long n = Literals.number(text);
        if (n == null) throw new IllegalArgumentException("not a number for the " + what + ": " + text);
        return n;
    }

    /** The debugger forms of break: at ADDR, insn MNEMONIC, port LO[-HI], mmio LO-HI, vector N. Null when args is an exit reason. */
    private Breakpoint breakDebugger(String args) {
        String[] kw = args.strip().split("\\s+", 2);
        if (kw.length < 2 || !Set.of("at", "insn", "port", "mmio", "vector").contains(kw[0])) return null;
        Matcher m = BREAK.matcher(kw[1].strip());
        if (!m.matches()) throw new IllegalArgumentException("usage: break " + kw[0] + " ARG [if EXPR]");
        String arg = m.group(1);
        String condText = m.group(2) == null ? null : m.group(2).strip();
        ExitCondition cond = condText == null ? null : s.condition(condText);
        String[] range = arg.split("-", 2);
        long lo = kw[0].equals("insn") ? 0 : number(range[0], kw[0]);
        long hi = range.length > 1 ? number(range[1], kw[0]) : lo;
        return switch (kw[0]) {
            case "at" -> {
                if (cond != null) throw new IllegalArgumentException("break at takes no condition; use break insn or a watch");
                yield vm().breakAt(lo);
            }
            case "insn" -> vm().breakOnMnemonic(arg, cond, condText);
            case "port" -> vm().breakOnPort((int) lo, (int) hi, cond, condText);
            case "mmio" -> vm().breakOnMmio(lo, hi, cond, condText);
            default -> vm().breakOnVector((int) lo, cond, condText);
        };
    }

    private void breakOn(String args) {
        Breakpoint debuggerStop = breakDebugger(args);
        if (debuggerStop != null) {
            out.println(debuggerStop);
            return;
        }
        Matcher m = BREAK.matcher(args.strip());
        if (!m.matches()) throw new IllegalArgumentException("usage: break REASON [if EXPR], e.g. break IO_INSTRUCTION if exit.port == 0x3f8");
        String reasonText = m.group(1);
        Long number = Literals.number(reasonText);
        Object reason = number != null ? (Object) number.intValue() : reasonText;
        String condText = m.group(2) == null ? null : m.group(2).strip();
        ExitCondition cond = condText == null ? null : s.condition(condText);
        Breakpoint b = vm().addBreakpoint(reason, cond, condText, false);
        out.println(b);
    }

    private void reset() {
        Vm v = vm();
        String reloaded = DemoVm.reload(v);
        v.getVcpu().resetRealMode(0, (int) DemoVm.LOAD_ADDRESS);
        out.println(v.getName() + ": vCPU reset to real mode at 0000:1000" + (reloaded == null ? "" : ", " + reloaded + " reloaded"));
    }

    private void delete(String ids) {
        for (String id : ids.split("\\s+")) {
            int n = Integer.parseInt(id);
            out.println(vm().delete(n) ? "deleted #" + n : "there is no breakpoint or hook #" + n);
        }
    }

    private void listWatches() {
        List<ExitWatch> ws = vm().getWatches();
        if (ws.isEmpty()) out.println("no breakpoints or hooks on " + vm().getName());
        for (ExitWatch w : ws) out.println(w);
    }

    private void mem(String args) {
        List<String> a = Literals.split(args);
        if (a.isEmpty() || a.size() > 2) throw new IllegalArgumentException("usage: mem ADDR [LEN]");
        long addr = number(a.get(0));
        long len = a.size() > 1 ? number(a.get(1)) : 64;
        if (len <= 0 || len > 1 << 20) throw new IllegalArgumentException("LEN must be between 1 and 1M, not " + len);
        out.println(vm().getMem().hexdump(addr, (int) len));
    }

    private void poke(String args) {
        List<String> a = Literals.split(args);
        if (a.size() < 2) throw new IllegalArgumentException("usage: poke ADDR \"text\" or poke ADDR BYTE...");
        long addr = number(a.get(0));
        byte[] bytes;
        if (a.size() == 2 && Literals.isQuoted(a.get(1))) {
            bytes = Literals.stringBytes(a.get(1));
        } else {
            List<String> values = a.subList(1, a.size()).stream().flatMap(t -> java.util.Arrays.stream(t.split(","))).filter(t -> !t.isBlank()).toList();
            bytes = new byte[values.size()];
            for (int i = 0; i < bytes.length; i++) {
                long v = number(values.get(i));
                if (v < -128 || v > 255) throw new IllegalArgumentException(values.get(i) + " is not a byte");
                bytes[i] = (byte) v;
            }
        }
        vm().getMem().write(addr, bytes);
        out.printf("wrote %d byte%s at %#x%n", bytes.length, bytes.length == 1 ? "" : "s", addr);
    }

    private void listVms() {
        List<Vm> vms = s.hv().getVms();
        if (vms.isEmpty()) out.println("no VMs: make one with vm = hv.createVm(name: 'x')");
        for (Vm v : vms) out.println((v == s.vm() ? "* " : "  ") + v);
    }

    private void use(String name) {
        s.setVm(s.hv().vm(name));
        out.println("vm = " + s.vm());
    }

    private void gdb(String args) {
        Vm v = vm();
        if (args.equals("stop")) {
            v.stopGdb();
            out.println("gdb stub of " + v.getName() + " closed");
            return;
        }
        int port = args.isEmpty() ? 0 : Integer.parseInt(args);
        GdbStub stub = v.gdb(port);
        stub.setMonitor(Commands.monitor(s));
        out.println(stub);
    }

    /** gdb's monitor commands the stub does not know, run as the shell's read-and-poke words with their output captured. */
    static java.util.function.Function<String, String> monitor(Session session) {
        return line -> {
            CommandLine c = CommandLine.parse(line);
            if (c == null || !MONITOR_WORDS.contains(c.word()))
                return "unknown monitor command '" + line + "'; the stub knows exits, regs, why, breakpoints, instructions, and the shell's " + String.join(", ", new java.util.TreeSet<>(MONITOR_WORDS));
            StringWriter text = new StringWriter();
            try (PrintWriter w = new PrintWriter(text)) {
                new Commands(session, w, true).execute(c);
            }
            return text.toString();
        };
    }

    /** A literal, or an expression in the current language that gives a number (vm.vcpu.esi). */
    private long number(String token) {
        Long n = Literals.number(token);
        if (n != null) return n;
        if (forMonitor) throw new IllegalArgumentException("'" + token + "' is not a number (gdb's monitor takes numbers only)");
        Object v = s.evalValue(token);
        if (v instanceof Number num) return num.longValue();
        throw new IllegalArgumentException("'" + token + "' is not a number (it gave " + v + ")");
    }
}
