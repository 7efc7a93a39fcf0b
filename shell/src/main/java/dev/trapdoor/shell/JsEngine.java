package dev.trapdoor.shell;

import dev.trapdoor.api.Action;
import dev.trapdoor.api.ExitCondition;
import dev.trapdoor.vmx.ExitReason;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;
import org.graalvm.polyglot.proxy.ProxyArray;
import org.graalvm.polyglot.proxy.ProxyExecutable;
import org.graalvm.polyglot.proxy.ProxyObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * JavaScript on GraalJS, made to read like the Groovy side: bean getters are properties
 * ({@code vm.vcpu.eax}, through the Nashorn-compatible mode), JS functions implement
 * ExitHandler/ExitCondition, a hook may return {@code HANDLED} or the string {@code "HANDLED"},
 * and the exit reasons, {@code HANDLED/PASS/STOP}, {@code out}, {@code opt} and {@code exit} are globals.
 */
final class JsEngine implements LanguageEngine {
    private static final Set<String> ACTIONS = Set.of("HANDLED", "PASS", "STOP");

    private final Context ctx;
    private final Value global;
    private final Set<String> builtins = new TreeSet<>();
    private final Value fromJava;
    private ScriptArgs args = new ScriptArgs(java.util.List.of());

    JsEngine(OutputStream out, OutputStream err, Out printer) {
        HostAccess access = HostAccess.newBuilder(HostAccess.ALL)
                .targetTypeMapping(String.class, Action.class, s -> s != null && ACTIONS.contains(s.toUpperCase(Locale.ROOT)),
                        s -> Action.valueOf(s.toUpperCase(Locale.ROOT)))
                .build();
        ctx = Context.newBuilder("js")
                .allowHostAccess(access)
                .allowHostClassLookup(name -> true)
                .allowIO(IOAccess.ALL)
                .allowExperimentalOptions(true)
                .option("engine.WarnInterpreterOnly", "false")
                .option("js.nashorn-compat", "true")
                .option("js.ecmascript-version", "latest")
                .out(out)
                .err(err)
                .in(InputStream.nullInputStream())
                .build();
        global = ctx.getBindings("js");
        builtins.addAll(global.getMemberKeys());
        for (ExitReason r : ExitReason.values()) global.putMember(r.name(), r);
        for (Action a : Action.values()) global.putMember(a.name(), a);
        for (String cls : new String[] {"dev.trapdoor.vmx.ExitReason", "dev.trapdoor.api.Action",
                "dev.trapdoor.api.StopReason", "dev.trapdoor.api.BackendKind", "dev.trapdoor.api.Hypervisor"}) {
            global.putMember(cls.substring(cls.lastIndexOf('.') + 1), ctx.eval("js", "Java.type('" + cls + "')"));
        }
        fromJava = ctx.eval("js", "(function(a) { return Java.from(a); })");
        global.putMember("out", new JsOut(printer));
        global.putMember("opt", (ProxyExecutable) a -> {
            if (a.length == 0 || !a[0].isString()) throw new IllegalArgumentException("opt(name, default) needs an option name");
            return args.opt(a[0].asString(), a.length > 1 ? toJava(a[1]) : null);
        });
        global.putMember("exit", (ProxyExecutable) a -> {
            throw new ScriptExit(a.length > 0 && a[0].fitsInInt() ? a[0].asInt() : 0);
        });
        builtins.add("Java");
    }

    void setArgs(ScriptArgs a) {
        args = a;
        global.putMember("args", fromJava.execute((Object) a.array()));
    }

    @Override
    public Language language() { return Language.JS; }

    @Override
    public Object eval(String code, String sourceName) {
        return toJava(ctx.eval(Source.newBuilder("js", code, sourceName).buildLiteral()));
    }

    @Override
    public Object evalFile(Path file) {
        try {
            return toJava(ctx.eval(Source.newBuilder("js", file.toFile()).build()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isIncomplete(String code) {
        if (openTemplate(code)) return true;
        try {
            ctx.parse(Source.newBuilder("js", code, "<input>").buildLiteral());
            return false;
        } catch (PolyglotException e) {
            return e.isIncompleteSource();
        }
    }

    /** An odd number of unescaped backticks: a template literal continues on the next line. */
    private static boolean openTemplate(String code) {
        int n = 0;
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\\') i++;
            else if (c == '`') n++;
        }
        return (n & 1) == 1;
    }

    @Override
    public ExitCondition condition(String expression) {
        Value fn = ctx.eval(Source.newBuilder("js", "(function(exit) { return !!(" + expression + "\n); })", "<condition>").buildLiteral());
        return exit -> fn.execute(exit).asBoolean();
    }

    /** Sets a global; a script's own {@code const} of that name wins (JS cannot reassign it). */
    @Override
    public void set(String name, Object value) {
        try {
            global.putMember(name, value);
        } catch (UnsupportedOperationException | PolyglotException e) {
            // const vm = ... at the top level of a script: that binding is the script's to keep
        }
    }

    @Override
    public Object get(String name) {
        return global.hasMember(name) ? toJava(global.getMember(name)) : null;
    }

    @Override
    public Set<String> variableNames() {
        Set<String> names = new TreeSet<>(global.getMemberKeys());
        names.removeAll(builtins);
        return names;
    }

    /** A JS value as the Java object it stands for; JS objects and functions become their printed form. */
    static Object toJava(Value v) {
        if (v == null || v.isNull()) return null;
        if (v.isHostObject()) return v.asHostObject();
        if (v.isBoolean()) return v.asBoolean();
        if (v.isNumber()) return v.fitsInLong() ? (Object) v.asLong() : (Object) v.asDouble();
        if (v.isString()) return v.asString();
        return new JsText(v.toString());
    }

    /** {@code out(a, b)} and {@code out.println(x)}, {@code out.print(x)}, as in Groovy. */
    private record JsOut(Out printer) implements ProxyExecutable, ProxyObject {
        private static final java.util.List<String> MEMBERS = java.util.List.of("println", "print", "flush");

        @Override
        public Object execute(Value... a) {
            printer.call(javaValues(a));
            return null;
        }

        @Override
        public Object getMember(String key) {
            return switch (key) {
                case "println" -> (ProxyExecutable) a -> { printer.call(javaValues(a)); return null; };
                case "print" -> (ProxyExecutable) a -> {
                    for (Object o : javaValues(a)) printer.print(o);
                    return null;
                };
                case "flush" -> (ProxyExecutable) a -> { printer.flush(); return null; };
                default -> null;
            };
        }

        @Override
        public Object getMemberKeys() { return ProxyArray.fromList(new java.util.ArrayList<>(MEMBERS)); }

        @Override
        public boolean hasMember(String key) { return MEMBERS.contains(key); }

        @Override
        public void putMember(String key, Value value) {
            throw new UnsupportedOperationException("out." + key + " cannot be changed");
        }

        private static Object[] javaValues(Value[] a) {
            Object[] values = new Object[a.length];
            for (int i = 0; i < a.length; i++) values[i] = toJava(a[i]);
            return values;
        }
    }

    /** The printed form of a JS object or function. */
    record JsText(String text) {
        @Override
        public String toString() { return text; }
    }

    @Override
    public void close() {
        ctx.close(true);
    }
}
