package com.efecte.esm;
import java.sql.SQLTransientConnectionException;
public class DataCardRepository {
    public String find(String template, long id) throws SQLTransientConnectionException {
        throw new SQLTransientConnectionException("HikariPool-1 - Connection is not available, request timed out after 30000ms.", "08001");
    }
}
