package dev.trapdoor.experiment;

import java.util.Map;

/**
 * What a sweep runs at each point. A Groovy closure {@code { p -> [y: p.x * 2] }} and a JavaScript
 * function {@code p => ({y: p.get('x') * 2})} both coerce to it. The result's keys become columns;
 * a thrown exception marks only this run as failed.
 */
@FunctionalInterface
public interface RunFunction {
    Map<String, ?> run(Point point) throws Exception;
}
