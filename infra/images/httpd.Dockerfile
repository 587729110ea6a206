# Stand-in for the official httpd:2.4 image, built from Debian packages because this
# machine cannot pull from Docker Hub. Serves the same "It works!" page on port 80.
FROM netlabs-local/base:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends apache2 \
 && rm -rf /var/lib/apt/lists/* \
 && echo '<html><body><h1>It works!</h1></body></html>' > /var/www/html/index.html
EXPOSE 80
STOPSIGNAL SIGWINCH
CMD ["apachectl", "-D", "FOREGROUND"]
