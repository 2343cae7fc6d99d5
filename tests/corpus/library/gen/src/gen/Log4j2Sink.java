package gen;
import org.apache.logging.log4j.*;
import org.apache.logging.log4j.spi.ExtendedLogger;
public class Log4j2Sink implements Sink {
    static final String FQCN = Log4j2Sink.class.getName();
    public void log(String logger, String level, String marker, String msg, Throwable t) {
        ExtendedLogger l = (ExtendedLogger) LogManager.getLogger(logger);
        l.logIfEnabled(FQCN, Level.toLevel(level), marker == null ? null : MarkerManager.getMarker(marker), msg, t);
    }
    public void mdcPut(String k, String v) { ThreadContext.put(k, v); }
    public void mdcClear() { ThreadContext.clearMap(); }
    public void ndcPush(String v) { ThreadContext.push(v); }
    public void ndcPop() { ThreadContext.pop(); }
    public void shutdown() { LogManager.shutdown(); }
    public static void main(String[] a) throws Exception {
        com.efecte.rest.RestApiFilter.run(new Log4j2Sink(), Boolean.getBoolean("gen.jsonMdc"), Integer.getInteger("gen.entries", 150));
    }
}
