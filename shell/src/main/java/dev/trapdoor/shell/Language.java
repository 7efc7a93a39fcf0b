package dev.trapdoor.shell;

import java.nio.file.Path;
import java.util.Locale;

/** The two script languages of the shell. */
public enum Language {
    GROOVY("groovy", "trapdoor> "),
    JS("js", "js> ");

    private final String id;
    private final String prompt;

    Language(String id, String prompt) {
        this.id = id;
        this.prompt = prompt;
    }

    public String id() { return id; }
    public String prompt() { return prompt; }

    /** The language of a script file, by its extension. */
    public static Language ofFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".groovy") || n.endsWith(".gvy") || n.endsWith(".gy")) return GROOVY;
        if (n.endsWith(".js") || n.endsWith(".mjs")) return JS;
        throw new IllegalArgumentException("cannot tell the language of " + file + ": name it .groovy or .js");
    }
}
