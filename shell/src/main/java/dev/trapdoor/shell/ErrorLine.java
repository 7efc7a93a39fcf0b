package dev.trapdoor.shell;

import groovy.lang.GroovyRuntimeException;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.messages.ExceptionMessage;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.runtime.InvokerInvocationException;
import org.codehaus.groovy.syntax.SyntaxException;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.SourceSection;

import java.io.UncheckedIOException;
import java.util.Set;

/**
 * One clear line for a failed script: the message, and where in the script when that is known.
 * Stack traces are for bugs in Trapdoor, not for a typo at the prompt.
 */
final class ErrorLine {
    private static final int MAX = 400;
    /** Exceptions whose message says it all; others get their class name in front. */
    private static final Set<Class<?>> SELF_EXPLAINING = Set.of(IllegalArgumentException.class,
            IllegalStateException.class, UncheckedIOException.class, UnsupportedOperationException.class);

    /** Where the failing source came from, which decides how its position is shown. */
    enum Origin {
        /** One line typed at the prompt: the position adds nothing. */
        PROMPT_LINE,
        /** Several lines typed at the prompt: "(line N)". */
        PROMPT_BLOCK,
        /** A script file: "(file.groovy:line N)". */
        FILE
    }

    private ErrorLine() {}

    /**
     * @param t          what the script threw
     * @param sourceName the name the script was compiled under (a file name or the REPL's input name)
     */
    static String describe(Throwable t, String sourceName, Origin origin) {
        if (t instanceof MultipleCompilationErrorsException m) return groovyCompile(m, origin);
        if (t instanceof PolyglotException p) return polyglot(p, origin);
        Throwable root = unwrap(t);
        if (root instanceof PolyglotException p) return polyglot(p, origin);
        String where = origin == Origin.PROMPT_LINE ? "" : groovyLine(t, sourceName, origin);
        return clip(message(root) + where);
    }

    private static String position(String name, int line, Origin origin) {
        return origin == Origin.FILE ? " (" + name + ":" + line + ")" : " (line " + line + ")";
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof InvokerInvocationException || c instanceof java.lang.reflect.InvocationTargetException
                || c instanceof java.lang.reflect.UndeclaredThrowableException) && c.getCause() != null) c = c.getCause();
        return c;
    }

    static String message(Throwable t) {
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) return t.getClass().getSimpleName();
        msg = oneLine(msg);
        if (SELF_EXPLAINING.contains(t.getClass()) || t instanceof GroovyRuntimeException) return msg;
        return t.getClass().getSimpleName() + ": " + msg;
    }

    private static String groovyCompile(MultipleCompilationErrorsException m, Origin origin) {
        Message first = m.getErrorCollector().getErrorCount() > 0 ? m.getErrorCollector().getError(0) : null;
        if (first instanceof SyntaxErrorMessage s) {
            SyntaxException se = s.getCause();
            String where = origin != Origin.PROMPT_LINE || se.getLine() > 1
                    ? (origin == Origin.FILE ? " (" + se.getSourceLocator() + ":" : " (line ") + se.getLine() + ", column " + se.getStartColumn() + ")"
                    : "";
            return clip("syntax error: " + oneLine(se.getOriginalMessage()) + where);
        }
        if (first instanceof ExceptionMessage em) return clip("compile error: " + message(em.getCause()));
        String text = m.getMessage().replaceFirst("(?s)^startup failed:\\s*", "").replaceFirst("(?s)\\s*\\d+ errors?\\s*$", "");
        return clip("compile error: " + oneLine(text));
    }

    /** The line in the script (or the first script frame) where a Groovy exception came from. */
    private static String groovyLine(Throwable t, String sourceName, Origin origin) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            for (StackTraceElement e : c.getStackTrace()) {
                if (e.getLineNumber() > 0 && sourceName.equals(e.getFileName())) return position(sourceName, e.getLineNumber(), origin);
            }
        }
        return "";
    }

    private static String polyglot(PolyglotException p, Origin origin) {
        String msg;
        if (p.isHostException()) {
            Throwable h = p.asHostException();
            msg = h instanceof ScriptExit ? h.getMessage() : message(unwrap(h));
        } else {
            msg = p.getMessage() == null ? "error" : p.getMessage().lines().findFirst().orElse("error");
            if (p.isSyntaxError()) return clip(msg);
        }
        SourceSection at = p.getSourceLocation();
        if (at == null) {
            for (PolyglotException.StackFrame f : p.getPolyglotStackTrace()) {
                if (f.isGuestFrame() && f.getSourceLocation() != null) {
                    at = f.getSourceLocation();
                    break;
                }
            }
        }
        if (at != null && at.isAvailable() && (origin != Origin.PROMPT_LINE || at.getStartLine() > 1)) {
            msg += position(at.getSource().getName(), at.getStartLine(), origin);
        }
        return clip(msg);
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String clip(String s) {
        return s.length() <= MAX ? s : s.substring(0, MAX - 3) + "...";
    }
}
