package dev.trapdoor.shell;

import dev.trapdoor.api.ExitCondition;
import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;
import org.jline.terminal.Terminal;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One user's workspace: the hypervisor {@code hv}, the current VM {@code vm}, and the Groovy and
 * JavaScript engines that both see them. Engines start lazily (or warm up in the background), so
 * the prompt does not wait for them. Errors in scripts become one line; the session goes on.
 */
public final class Session implements AutoCloseable {
    private final Hypervisor hv;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Out printer;
    private final boolean interactive;
    private final TerminalConsole terminalConsole;
    private final Map<Language, Lazy<LanguageEngine>> engines = new EnumMap<>(Language.class);
    private final List<LanguageEngine> started = new ArrayList<>();
    private final SerialTap serial = new SerialTap();
    private ScriptArgs args = new ScriptArgs(List.of());
    private Language language = Language.GROOVY;
    private Vm vm;
    private int inputs;
    private Terminal terminal;
    private Terminal openedTerminal;
    private boolean attachKeysAlways;
    private volatile Thread runThread;
    private final Map<Vm, RunResult> lastResults = new java.util.WeakHashMap<>();

    /**
     * @param out         where results and script output go (the terminal's writer)
     * @param err         where error lines go (the same writer at the prompt, stderr in batch runs)
     * @param interactive prompt mode: declarations persist across inputs
     */
    public Session(Hypervisor hv, PrintWriter out, PrintWriter err, boolean interactive) {
        this.hv = hv;
        this.out = out;
        this.err = err;
        this.printer = new Out(out);
        this.interactive = interactive;
        this.terminalConsole = new TerminalConsole(out);
        terminalConsole.keyboard(this::keyboardTerminal);
        engines.put(Language.GROOVY, new Lazy<>(() -> start(() -> new GroovyEngine(interactive), "1")));
        engines.put(Language.JS, new Lazy<>(() -> start(() -> {
            WriterOutputStream stream = new WriterOutputStream(out);
            JsEngine js = new JsEngine(stream, stream, printer);
            js.setArgs(args);
            return js;
        }, "1")));
    }

    /** The terminal keys come from while a guest's console is attached (the prompt's terminal). */
    public synchronized void useTerminal(Terminal t) {
        terminal = t;
    }

    /**
     * Whether run and continue attach the keyboard to a guest whose console is the terminal even
     * when the terminal is a dumb one (piped input): {@code trapdoor boot} and tests want that; the
     * prompt on a pipe does not (the lines after run are for the prompt).
     */
    public synchronized void attachKeysAlways(boolean on) {
        attachKeysAlways = on;
    }

    private synchronized boolean attachesKeys() {
        if (attachKeysAlways) return true;
        return terminal != null && !Terminal.TYPE_DUMB.equals(terminal.getType()) && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
    }

    /** The prompt's terminal, or (in batch runs, for a script's term.run(vm)) the system terminal, opened once. */
    private synchronized Terminal keyboardTerminal() {
        if (terminal != null) return terminal;
        if (openedTerminal == null) {
            try {
                openedTerminal = Main.openTerminal();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot open the terminal for keyboard input: " + e.getMessage(), e);
            }
        }
        return openedTerminal;
    }

    /** Makes an engine, runs a first tiny input (most of its start-up cost), then shares the session's variables with it. */
    private LanguageEngine start(Supplier<LanguageEngine> maker, String warmUp) {
        LanguageEngine e = maker.get();
        e.eval(warmUp, "<warm-up>");
        synchronized (this) {
            e.set("hv", hv);
            e.set("vm", vm);
            e.set("term", terminalConsole);
            if (e instanceof GroovyEngine) {
                e.set("out", printer);
                e.set("args", args.array());
            }
            started.add(e);
        }
        return e;
    }

    /** Starts both engines on background threads, Groovy first (it is the default). */
    public void warmUp() {
        Thread.ofPlatform().daemon().name("engine-warm-up").start(() -> {
            try {
                engines.get(Language.GROOVY).get();
                engines.get(Language.JS).get();
            } catch (RuntimeException | LinkageError e) {
                // the user sees the same failure, as one line, when they first use the engine
            }
        });
    }

    public Hypervisor hv() { return hv; }
    public PrintWriter out() { return out; }
    public PrintWriter err() { return err; }
    public Out printer() { return printer; }
    public Language language() { return language; }
    public TerminalConsole terminalConsole() { return terminalConsole; }
    public synchronized Vm vm() { return vm; }

    public void setLanguage(Language l) {
        engine(l);
        language = l;
    }

    /** Arguments scripts see as {@code args} and through {@code opt}. */
    public synchronized void setArgs(List<String> a) {
        args = new ScriptArgs(a);
        for (LanguageEngine e : started) {
            if (e instanceof JsEngine js) js.setArgs(args);
            else e.set("args", args.array());
        }
    }

    /** Makes v the current VM in every language. */
    public synchronized void setVm(Vm v) {
        vm = v;
        for (LanguageEngine e : started) e.set("vm", v);
    }

    LanguageEngine engine(Language l) {
        return engines.get(l).get();
    }

    LanguageEngine engine() {
        return engine(language);
    }

    boolean isReady(Language l) {
        return engines.get(l).isReady();
    }

    // ---- evaluation

    /** Evaluates one input of the prompt in the current language and prints its value or its error. */
    public void evalAndPrint(String code) {
        String name = language == Language.GROOVY ? "input" + (++inputs) + ".groovy" : "<input" + (++inputs) + ">";
        boolean multiLine = code.strip().contains("\n");
        try {
            Object v = engine().eval(code, name);
            adoptVm(engine());
            String text = ValueFormat.result(v);
            if (text != null) out.println(text);
        } catch (ScriptExit e) {
            adoptVm(engine());
            out.println("exit(" + e.status() + ")");
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            adoptVm(engine());
            out.flush();
            err.println("error: " + ErrorLine.describe(e, name, multiLine ? ErrorLine.Origin.PROMPT_BLOCK : ErrorLine.Origin.PROMPT_LINE));
            err.flush();
        }
        out.flush();
    }

    /**
     * Runs a script file in its language's engine, in this session. Returns the script's exit
     * status: 0 when it ends, n for exit(n), 1 after an error (reported as one line).
     */
    public int runFile(Path file) {
        Language l;
        try {
            l = Language.ofFile(file);
            if (!Files.isReadable(file)) throw new IllegalArgumentException("cannot read " + file);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        }
        LanguageEngine e = null;
        try {
            e = engine(l);
            e.evalFile(file);
            return 0;
        } catch (ScriptExit x) {
            return x.status();
        } catch (RuntimeException | LinkageError | StackOverflowError x) {
            Throwable exit = exitIn(x);
            if (exit instanceof ScriptExit s) return s.status();
            out.flush();
            err.println("error: " + ErrorLine.describe(x, file.getFileName().toString(), ErrorLine.Origin.FILE));
            return 1;
        } finally {
            if (e != null) adoptVm(e);
            out.flush();
            err.flush();
        }
    }

    /** exit(n) from JS reaches us wrapped in a PolyglotException. */
    private static Throwable exitIn(Throwable t) {
        if (t instanceof org.graalvm.polyglot.PolyglotException p && p.isHostException()) return p.asHostException();
        return t;
    }

    /** The value of an expression typed as a command argument (an address, a length). */
    Object evalValue(String expression) {
        return engine().eval(expression, language == Language.GROOVY ? "argument.groovy" : "<argument>");
    }

    ExitCondition condition(String expression) {
        return engine().condition(expression);
    }

    /** A script may have assigned vm: that becomes the current VM everywhere. */
    private void adoptVm(LanguageEngine e) {
        if (!interactive) return;
        Object v = e.get("vm");
        if (v instanceof Vm nv && nv != vm()) setVm(nv);
    }

    /** Variable names of the current language, without waiting for an engine still starting. */
    Set<String> variableNames() {
        Set<String> names = new TreeSet<>(List.of("hv", "vm", "term", "out", "args"));
        if (isReady(language)) names.addAll(engine().variableNames());
        return names;
    }

    /** A variable's value for completion, without waiting for an engine still starting. */
    Object peekVariable(String name) {
        switch (name) {
            case "hv": return hv;
            case "vm": return vm();
            case "term": return terminalConsole;
            case "out": return printer;
            default:
                return isReady(language) ? engine().get(name) : null;
        }
    }

    // ---- guest runs

    /**
     * Runs the current VM (continuing a stopped run) and prints new serial output and the result.
     * A VM whose console is the terminal gets the keyboard while it runs (see {@link #attachKeysAlways}).
     */
    public RunResult runVm(Vm target) {
        boolean attach = terminalConsole.feedsFromHere(target.getConsole()) && attachesKeys();
        if (attach) {
            out.println("[" + target.getName() + "] " + ATTACHED);
            out.flush();
        }
        RunResult r;
        runThread = Thread.currentThread();
        try {
            r = attach ? terminalConsole.run(target) : target.run();
        } finally {
            runThread = null;
            Thread.interrupted(); // a Ctrl-C that woke an idle guest is spent
        }
        synchronized (this) {
            lastResults.put(target, r);
        }
        String text = serial.newOutput(target);
        if (!text.isEmpty()) {
            out.print(text);
            if (!text.endsWith("\n")) out.println();
        }
        if (terminalConsole.feedsFromHere(target.getConsole()) && !terminalConsole.atLineStart()) out.println();
        out.println("[" + target.getName() + "] " + r);
        if (TerminalConsole.isDetach(r)) out.println(PAUSED);
        out.flush();
        return r;
    }

    static final String ATTACHED = "console attached: keys go to the guest, Ctrl-C too; "
            + TerminalConsole.DETACH_NAME + " returns to the trapdoor prompt";
    static final String PAUSED = "The guest is paused; type continue to resume it with the console attached.";

    /** The result of the last run of v through {@link #runVm}, or null. */
    public synchronized RunResult lastResult(Vm v) {
        return lastResults.get(v);
    }

    /** Ctrl-C while a guest runs: stop every running VM. Safe from any thread. */
    public void interruptRuns() {
        for (Vm v : hv.getVms()) {
            if (v.getVcpus().stream().anyMatch(c -> c.isRunning())) v.stop();
        }
        Thread t = runThread;
        if (t != null) t.interrupt(); // an idle guest waiting in host time (real-time pacing) wakes and sees the stop
    }

    @Override
    public synchronized void close() {
        for (LanguageEngine e : started) e.close();
        started.clear();
        hv.close();
        if (openedTerminal != null) {
            try {
                openedTerminal.close();
            } catch (java.io.IOException e) {
                // nothing left to restore
            }
            openedTerminal = null;
        }
    }
}
