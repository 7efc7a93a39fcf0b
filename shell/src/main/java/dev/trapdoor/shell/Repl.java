package dev.trapdoor.shell;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

import java.nio.file.Path;

/**
 * The prompt: reads a command or a Groovy/JS input (several lines when unfinished), runs it, prints
 * the outcome. Ctrl-C clears the line at the prompt and stops the guest while one runs, except a
 * guest whose console is attached to the terminal: it gets Ctrl-C, and Ctrl-] stops it. Ctrl-D quits.
 */
public final class Repl {
    private final Terminal terminal;
    private final Session session;
    private final LineReader reader;
    private final Commands commands;

    public Repl(Terminal terminal, Session session, Path historyFile) {
        this.terminal = terminal;
        this.session = session;
        this.commands = new Commands(session);
        session.useTerminal(terminal);
        LineReaderBuilder b = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("trapdoor")
                .parser(new ReplParser(session))
                .completer(new ReplCompleter(session))
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "%P.> ")
                .variable(LineReader.INDENTATION, 2)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.INSERT_TAB, false);
        if (historyFile != null) b.variable(LineReader.HISTORY_FILE, historyFile);
        reader = b.build();
    }

    LineReader reader() {
        return reader;
    }

    /** Reads and runs inputs until :quit or end of input. */
    public void loop() {
        terminal.handle(Terminal.Signal.INT, signal -> session.interruptRuns());
        while (true) {
            String line;
            try {
                line = reader.readLine(session.language().prompt());
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                break;
            }
            if (line.isBlank()) continue;
            CommandLine c = CommandLine.parse(line);
            if (c == null) session.evalAndPrint(line);
            else if (commands.execute(c) == Commands.Outcome.QUIT) break;
        }
        try {
            reader.getHistory().save();
        } catch (java.io.IOException e) {
            session.err().println("note: could not save the history: " + e.getMessage());
        }
        terminal.writer().flush();
    }
}
