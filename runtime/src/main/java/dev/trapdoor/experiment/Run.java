package dev.trapdoor.experiment;

import java.util.Map;

/**
 * One run of a sweep: the point it ran at, what it returned, and how it ended.
 *
 * @param index      position in the sweep, from 0
 * @param repetition which repetition of its point, from 0
 * @param point      the parameters
 * @param result     the run function's answer (empty unless {@code status} is OK)
 * @param status     OK, FAILED (the function threw) or CANCELLED (the sweep was stopped first)
 * @param error      the failure's message, or null
 * @param nanos      wall-clock time the run took
 * @param cause      the exception a failed run threw (not written to CSV or JSON)
 */
public record Run(int index, int repetition, Point point, Map<String, Object> result, Status status,
                  String error, long nanos, Throwable cause) {

    public enum Status { OK, FAILED, CANCELLED }

    /** Columns every row has besides parameters and results. */
    static final String RUN = "run";
    static final String REPEAT = "repeat";
    static final String TIME_MS = "time_ms";
    static final String STATUS = "status";
    static final String ERROR = "failure";

    public boolean ok() { return status == Status.OK; }

    /** A cell by column name: a parameter, a result, or one of run/repeat/time_ms/status/failure. */
    public Object get(String column) {
        if (point.containsKey(column)) return point.get(column);
        if (result.containsKey(column)) return result.get(column);
        return switch (column) {
            case RUN -> index;
            case REPEAT -> repetition;
            case TIME_MS -> nanos / 1e6;
            case STATUS -> status.name().toLowerCase(java.util.Locale.ROOT);
            case ERROR -> error;
            default -> null;
        };
    }

    static boolean isFixedColumn(String name) {
        return switch (name) {
            case RUN, REPEAT, TIME_MS, STATUS, ERROR -> true;
            default -> false;
        };
    }
}
