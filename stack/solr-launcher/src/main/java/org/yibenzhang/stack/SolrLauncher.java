package org.yibenzhang.stack;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

import java.util.concurrent.CountDownLatch;

/**
 * Runs a standalone Solr 9 node for the local CKAN stack through Solr's embedded Jetty runner.
 * JettySolrRunner binds its connector to 127.0.0.1, serves under /solr and discovers the cores
 * (core.properties) below the Solr home. Usage: SolrLauncher SOLR_HOME PORT
 */
public final class SolrLauncher {
    private SolrLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: SolrLauncher SOLR_HOME PORT");
            System.exit(2);
        }
        String solrHome = args[0];
        int port = Integer.parseInt(args[1]);
        JettyConfig config = JettyConfig.builder()
                .setPort(port)
                .setContext("/solr")
                .stopAtShutdown(true)
                .useOnlyHttp1(true) // pysolr (CKAN) speaks HTTP/1.1
                .build();
        JettySolrRunner runner = new JettySolrRunner(solrHome, config);
        runner.start();
        System.out.println("Solr started: " + runner.getBaseUrl());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.stop();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }));
        stopped.await();
    }
}
