package com.efecte.esm;
public class IncidentService {
    private final DataCardRepository repo = new DataCardRepository();
    public String load(long id) {
        try {
            return repo.find("incident", id);
        } catch (java.sql.SQLException e) {
            throw new RestProcessingException("Failed to load data card incident/" + id, e);
        }
    }
}
