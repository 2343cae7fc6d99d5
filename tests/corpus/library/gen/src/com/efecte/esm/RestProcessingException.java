package com.efecte.esm;
public class RestProcessingException extends RuntimeException {
    public RestProcessingException(String m, Throwable cause) { super(m, cause); }
}
