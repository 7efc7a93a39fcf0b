package dev.trapdoor.devices.rtc;

/**
 * Proleptic Gregorian calendar arithmetic on epoch seconds, total on every int input (the guest
 * writes the date registers, so nothing here may throw) and free of allocation.
 */
final class Calendar {
    private Calendar() { }

    /** Days since 1970-01-01 of a civil date (month 1-12; day may overflow into the next month). */
    static long daysFromCivil(long year, int month, int day) {
        year -= month <= 2 ? 1 : 0;
        long era = Math.floorDiv(year, 400);
        long yoe = year - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /** Fills out[0..2] with year, month (1-12), day (1-31) of days since 1970-01-01. */
    static void civilFromDays(long days, long[] out) {
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        out[0] = yoe + era * 400 + (month <= 2 ? 1 : 0);
        out[1] = month;
        out[2] = day;
    }

    /** 1 = Sunday ... 7 = Saturday, as the MC146818 counts; 1970-01-01 was a Thursday. */
    static int dayOfWeek(long days) {
        return (int) Math.floorMod(days + 4, 7L) + 1;
    }
}
