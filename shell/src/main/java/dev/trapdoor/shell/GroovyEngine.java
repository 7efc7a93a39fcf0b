package dev.trapdoor.shell;

import dev.trapdoor.api.ExitCondition;
import groovy.lang.Binding;
import groovy.lang.Closure;
import groovy.lang.GroovyShell;
import org.codehaus.groovy.control.CompilationFailedException;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.Phases;
import org.codehaus.groovy.control.customizers.ImportCustomizer;
import org.codehaus.groovy.runtime.typehandling.DefaultTypeTransformation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Groovy with the API imported: {@code dev.trapdoor.api.*}, {@code ExitReason} and its constants,
 * {@code HANDLED/PASS/STOP}. One binding holds the session's variables; at the prompt, top-level
 * declarations and imports persist from line to line.
 */
final class GroovyEngine implements LanguageEngine {
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?([\\w.]+?)(\\.\\*)?(?:\\s+as\\s+(\\w+))?\\s*;?\\s*$");

    private final Binding binding = new Binding();
    private final CompilerConfiguration config = new CompilerConfiguration();
    private final ImportCustomizer imports = new ImportCustomizer();
    private final GroovyShell shell;
    private int conditions;

    GroovyEngine(boolean interactive) {
        imports.addStarImports("dev.trapdoor.api");
        imports.addImports("dev.trapdoor.vmx.ExitReason");
        imports.addStaticStars("dev.trapdoor.vmx.ExitReason", "dev.trapdoor.api.Action");
        config.addCompilationCustomizers(imports);
        if (interactive) config.addCompilationCustomizers(new BindingDeclarations());
        config.setScriptBaseClass(TrapdoorScript.class.getName());
        shell = new GroovyShell(GroovyEngine.class.getClassLoader(), binding, config);
    }

    @Override
    public Language language() { return Language.GROOVY; }

    @Override
    public Object eval(String code, String sourceName) {
        if (addImport(code)) return null;
        return shell.evaluate(code, sourceName);
    }

    @Override
    public Object evalFile(Path file) {
        try {
            return shell.evaluate(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** An import typed on its own line applies to the following lines too. */
    private boolean addImport(String code) {
        Matcher m = IMPORT.matcher(code);
        if (!m.matches()) return false;
        boolean isStatic = m.group(1) != null;
        boolean star = m.group(3) != null;
        String name = m.group(2);
        String alias = m.group(4);
        if (!star) {
            // Check it resolves now rather than failing on every later line.
            shell.parse(code + "\n;", "import_check.groovy");
        }
        if (isStatic && star) imports.addStaticStars(name);
        else if (isStatic) {
            int dot = name.lastIndexOf('.');
            String member = name.substring(dot + 1);
            imports.addStaticImport(alias != null ? alias : member, name.substring(0, dot), member);
        } else if (star) imports.addStarImports(name);
        else if (alias != null) imports.addImport(alias, name);
        else imports.addImports(name);
        return true;
    }

    @Override
    public boolean isIncomplete(String code) {
        if (GroovyInput.open(code)) return true;
        CompilationUnit unit = new CompilationUnit(config, null, shell.getClassLoader());
        unit.addSource("incomplete_check.groovy", code);
        try {
            unit.compile(Phases.CONVERSION);
            return false;
        } catch (MultipleCompilationErrorsException e) {
            String m = e.getMessage();
            return m.contains("'<EOF>'") || m.contains("unexpected end of file") || endsWithOperator(code);
        } catch (CompilationFailedException e) {
            return false;
        }
    }

    /** A binary operator at the end of the input: Groovy continues an expression on the next line. */
    private static boolean endsWithOperator(String code) {
        String t = code.stripTrailing();
        if (t.isEmpty() || t.endsWith("++") || t.endsWith("--")) return false;
        return "+-*/%=&|^,.?:<>!~".indexOf(t.charAt(t.length() - 1)) >= 0;
    }

    @Override
    public ExitCondition condition(String expression) {
        Object c = shell.evaluate("{ exit -> " + expression + "\n}", "condition" + (++conditions) + ".groovy");
        if (!(c instanceof Closure<?> closure)) throw new IllegalStateException("the condition did not compile to a closure");
        return exit -> DefaultTypeTransformation.castToBoolean(closure.call(exit));
    }

    @Override
    public void set(String name, Object value) {
        binding.setVariable(name, value);
    }

    @Override
    public Object get(String name) {
        return binding.hasVariable(name) ? binding.getVariable(name) : null;
    }

    @Override
    public Set<String> variableNames() {
        Set<String> names = new TreeSet<>();
        for (Object k : binding.getVariables().keySet()) names.add(String.valueOf(k));
        return names;
    }

    @Override
    public void close() {
        try {
            shell.getClassLoader().close();
        } catch (IOException ignored) {
            // nothing is left open that matters: the loader only holds compiled scripts
        }
    }
}
