package dev.trapdoor.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * Comma-separated values as RFC 4180 has them: records end in CRLF, a field holding a comma, a
 * double quote, CR or LF is enclosed in double quotes, and a double quote inside such a field is
 * written twice. Numbers print as {@link Json} prints them (whole doubles without ".0"), except
 * that non-finite doubles keep their Java names (NaN, Infinity), which spreadsheets read.
 */
public final class Csv {
    private static final String EOL = "\r\n";

    private Csv() { }

    /** One record, without the line end. */
    public static String record(List<?> fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) b.append(',');
            field(b, cell(fields.get(i)));
        }
        return b.toString();
    }

    /** A header and rows, each record ended by CRLF. */
    public static String write(List<String> header, List<? extends List<?>> rows) {
        StringBuilder b = new StringBuilder();
        b.append(record(header)).append(EOL);
        for (List<?> r : rows) b.append(record(r)).append(EOL);
        return b.toString();
    }

    /** The text of one value before quoting. */
    static String cell(Object v) {
        return switch (v) {
            case null -> "";
            case Double d when !Double.isFinite(d) -> d.toString();
            case Float f when !Float.isFinite(f) -> f.toString();
            case Number n -> Json.write(n);
            default -> v.toString();
        };
    }

    private static void field(StringBuilder b, String s) {
        boolean quote = false;
        for (int i = 0; i < s.length() && !quote; i++) {
            char c = s.charAt(i);
            quote = c == ',' || c == '"' || c == '\r' || c == '\n';
        }
        if (!quote) {
            b.append(s);
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') b.append('"');
            b.append(c);
        }
        b.append('"');
    }

    /**
     * Reads RFC 4180 text back into records of fields. Accepts a bare LF as a line end too and a
     * missing line end after the last record.
     */
    public static List<List<String>> parse(CharSequence text) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        int i = 0;
        int n = text.length();
        boolean fieldStarted = false;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"' && f.isEmpty() && !fieldStarted) {
                i++;
                while (true) {
                    if (i >= n) throw new IllegalArgumentException("CSV: unterminated quoted field in record " + (records.size() + 1));
                    char q = text.charAt(i++);
                    if (q == '"') {
                        if (i < n && text.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(q);
                    }
                }
                fieldStarted = true;
                if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\r' && text.charAt(i) != '\n') {
                    throw new IllegalArgumentException("CSV: text after a closing quote in record " + (records.size() + 1));
                }
            } else if (c == ',') {
                record.add(f.toString());
                f.setLength(0);
                fieldStarted = false;
                i++;
            } else if (c == '\r' || c == '\n') {
                record.add(f.toString());
                records.add(record);
                record = new ArrayList<>();
                f.setLength(0);
                fieldStarted = false;
                i += c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n' ? 2 : 1;
            } else {
                f.append(c);
                fieldStarted = true;
                i++;
            }
        }
        if (fieldStarted || !f.isEmpty() || !record.isEmpty()) {
            record.add(f.toString());
            records.add(record);
        }
        return records;
    }
}
