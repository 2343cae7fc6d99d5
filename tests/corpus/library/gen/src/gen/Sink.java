package gen;
/** Thin adapter so one scenario drives log4j2 and logback. fqcn = this adapter's class so location info resolves to the scenario caller. */
public interface Sink {
    void log(String logger, String level, String marker, String msg, Throwable t);
    void mdcPut(String k, String v);
    void mdcClear();
    void ndcPush(String v);
    void ndcPop();
    void shutdown();
}
