package dev.trapdoor.shell;

import java.io.PrintWriter;

/**
 * The {@code out} scripts print with: {@code out("text")}, {@code out.println(x)}, {@code out.printf(...)}.
 * In Groovy it is also where {@code println} goes (Groovy scripts print to the binding's out).
 */
public final class Out {
    private final PrintWriter w;

    public Out(PrintWriter w) {
        this.w = w;
    }

    public void call(Object... values) {
        for (int i = 0; i < values.length; i++) {
            if (i > 0) w.print(' ');
            w.print(ValueFormat.plain(values[i]));
        }
        w.println();
        w.flush();
    }

    public void println() { w.println(); w.flush(); }
    public void println(Object o) { w.println(ValueFormat.plain(o)); w.flush(); }
    public void print(Object o) { w.print(ValueFormat.plain(o)); w.flush(); }
    public void printf(String format, Object... values) { w.printf(format, values); w.flush(); }
    public void flush() { w.flush(); }
    public PrintWriter writer() { return w; }
}
