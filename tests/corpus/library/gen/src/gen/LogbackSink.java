package gen;
import org.slf4j.*;
import org.slf4j.spi.LocationAwareLogger;
public class LogbackSink implements Sink {
    static final String FQCN = LogbackSink.class.getName();
    static int lvl(String s) {
        switch (s) { case "TRACE": return LocationAwareLogger.TRACE_INT; case "DEBUG": return LocationAwareLogger.DEBUG_INT;
            case "WARN": return LocationAwareLogger.WARN_INT; case "ERROR": return LocationAwareLogger.ERROR_INT; default: return LocationAwareLogger.INFO_INT; }
    }
    public void log(String logger, String level, String marker, String msg, Throwable t) {
        LocationAwareLogger l = (LocationAwareLogger) LoggerFactory.getLogger(logger);
        l.log(marker == null ? null : MarkerFactory.getMarker(marker), FQCN, lvl(level), msg, null, t);
    }
    public void mdcPut(String k, String v) { MDC.put(k, v); }
    public void mdcClear() { MDC.clear(); }
    public void ndcPush(String v) { }
    public void ndcPop() { }
    public void shutdown() { ((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory()).stop(); }
    public static void main(String[] a) throws Exception {
        com.efecte.rest.RestApiFilter.run(new LogbackSink(), Boolean.getBoolean("gen.jsonMdc"), Integer.getInteger("gen.entries", 150));
    }
}
