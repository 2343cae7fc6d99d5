#!/usr/bin/env python3
"""Regenerates every sample: writes a config per layout, runs the real library, writes NAME.log + NAME.layout.
Run from /work/samples/real-library/gen:  python3 make.py [name...]"""
import os, subprocess, sys
from xml.sax.saxutils import quoteattr, escape
HERE = os.path.dirname(os.path.abspath(__file__)); OUT = os.path.dirname(HERE)
J = "/usr/share/java"
CP_L4J = f"classes:{J}/log4j-api.jar:{J}/log4j-core.jar:{J}/jackson-core.jar:{J}/jackson-databind.jar:{J}/jackson-annotations.jar"
CP_LB = f"classes:{J}/slf4j-api.jar:{J}/logback-classic.jar:{J}/logback-core.jar:{J}/logstash-logback-encoder.jar:{J}/jackson-core.jar:{J}/jackson-databind.jar:{J}/jackson-annotations.jar"

L4J = {  # name -> pattern (or ("json", xml-layout-element))
 "log4j2_a_esm_default":  "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n",
 "log4j2_b_iso8601":      "%d{ISO8601} %-5level [%thread] %logger{36}:%L - %msg%n",
 "log4j2_c_ddMMMyyyy":    "%d{dd MMM yyyy HH:mm:ss,SSS} [%t] %-5level %c{1.} %X{requestId} - %m%n",
 "log4j2_d_spark":        "%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n",
 "log4j2_e_highlight":    "%highlight{%d{HH:mm:ss.SSS} %-5level}{STYLE=Logback} [%t] %style{%c{1.}}{cyan} %notEmpty{[%X{user}] }- %m%n",
 "log4j2_e2_highlight_absolute": "%highlight{%d{ABSOLUTE} %-5level}{STYLE=Logback} [%t] %style{%c{1.}}{cyan} %notEmpty{[%X{user}] }- %m%n",
 "log4j2_f_unixmillis_location": "[%d{UNIX_MILLIS}] [%-5level] [%tid] [%T] %C.%M(%F:%L) %marker %m%ex{short}%n",
 "log4j2_g_default_misc": "%d{DEFAULT} %r %sn %pid [%tn] %-5p %c %x %X - %enc{%m}{CRLF}%n",
 "log4j2_json_jsonlayout": ("json:log4j2 JsonLayout compact=true eventEol=true properties=true",
                            '<JsonLayout compact="true" eventEol="true" properties="true"/>'),
}
LB = {
 "logback_h_default":   "%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n",
 "logback_i_highlight": "%date{ISO8601} %highlight(%-5level) %cyan(%logger{15}) [%X{user}] %msg%n%ex",
 "logback_j_relative":  "%d %relative [%thread] %level %logger{0} - %m%n",
 "logback_j2_caller":   "%d %relative [%thread] %level %logger{0} %caller{1} - %m%n",
 "logback_json_logstash": ("json:logstash-logback-encoder LogstashEncoder (defaults, includeMdc default=true)",
                           '<encoder class="net.logstash.logback.encoder.LogstashEncoder"/>'),
}

def run(name, cp, main, cfgprop, cfgfile, jsonmdc):
    # JSON lines are ~3x larger: 110 entries keeps the file under ~60 KB
    cmd = ["java", f"-D{cfgprop}={cfgfile}", f"-Dgen.jsonMdc={'true' if jsonmdc else 'false'}", f"-Dgen.entries={110 if jsonmdc else 150}", "-cp", cp, main]
    subprocess.run(cmd, cwd=HERE, check=True)
    return " ".join(cmd)

def main(only):
    os.makedirs(f"{HERE}/configs", exist_ok=True)
    cmds = {}
    for name, spec in L4J.items():
        if only and name not in only: continue
        log = f"{OUT}/{name}.log"
        if os.path.exists(log): os.remove(log)
        if isinstance(spec, tuple): layout_line, layout_xml = spec; jsonmdc = True
        else:
            layout_line = spec; jsonmdc = False
            layout_xml = f'<PatternLayout pattern={quoteattr(spec)} disableAnsi="false" noConsoleNoAnsi="false"/>'
        cfg = f"configs/{name}.xml"
        open(f"{HERE}/{cfg}", "w").write(f'''<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders>
    <File name="f" fileName={quoteattr(log)} append="false">
      {layout_xml}
    </File>
  </Appenders>
  <Loggers><Root level="debug"><AppenderRef ref="f"/></Root></Loggers>
</Configuration>
''')
        open(f"{OUT}/{name}.layout", "w").write(layout_line + "\n")
        cmds[name] = run(name, CP_L4J, "gen.Log4j2Sink", "log4j2.configurationFile", cfg, jsonmdc)
    for name, spec in LB.items():
        if only and name not in only: continue
        log = f"{OUT}/{name}.log"
        if os.path.exists(log): os.remove(log)
        if isinstance(spec, tuple): layout_line, enc = spec; jsonmdc = True
        else:
            layout_line = spec; jsonmdc = False
            enc = f"<encoder><pattern>{escape(spec)}</pattern></encoder>"
        cfg = f"configs/{name}.xml"
        open(f"{HERE}/{cfg}", "w").write(f'''<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <appender name="f" class="ch.qos.logback.core.FileAppender">
    <file>{escape(log)}</file>
    <append>false</append>
    {enc}
  </appender>
  <root level="DEBUG"><appender-ref ref="f"/></root>
</configuration>
''')
        open(f"{OUT}/{name}.layout", "w").write(layout_line + "\n")
        cmds[name] = run(name, CP_LB, "gen.LogbackSink", "logback.configurationFile", cfg, jsonmdc)
    for n, c in cmds.items(): print(f"{n}\t(cd gen && {c})")

if __name__ == "__main__":
    main(set(sys.argv[1:]))
