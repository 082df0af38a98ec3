# Draw the main timeline of a brink run with ggplot2.
#
# Usage: Rscript examples/plot_timeline.R RESULTS_DIR [OUT.png]
#
# RESULTS_DIR is a run's output folder, or a scenario's folder of runs (results/iran_2026), whose
# newest run (the `latest` link) is then used. Reads timeline.csv and plots the cumulative probability of the scenario's first
# six event metrics over the calendar, each with its 95% interval as a band. Event metrics are
# the rows of summary.csv whose kind is "probability"; the other timeline metrics are daily
# states. Needs the ggplot2 package: install.packages("ggplot2").

library(ggplot2)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1 || length(args) > 2) {
  stop("usage: Rscript examples/plot_timeline.R RESULTS_DIR [OUT.png]")
}
results <- args[1]
# A scenario's folder of runs (results/iran_2026) means its newest run, the `latest` link.
if (!file.exists(file.path(results, "timeline.csv")) &&
    file.exists(file.path(results, "latest", "timeline.csv"))) {
  results <- file.path(results, "latest")
}
out <- if (length(args) == 2) args[2] else file.path(results, "timeline_ggplot.png")

timeline <- read.csv(file.path(results, "timeline.csv"))
timeline$date <- as.Date(timeline$date)
summary <- read.csv(file.path(results, "summary.csv"))
events <- head(summary$metric[summary$kind == "probability"], 6)

# The scenario's name is in manifest.json. Without jsonlite, pick it out of the text: the
# scenario block's "name" is the one followed by the scenario file's "path".
manifest_path <- file.path(results, "manifest.json")
scenario <- if (requireNamespace("jsonlite", quietly = TRUE)) {
  jsonlite::fromJSON(manifest_path)$scenario$name
} else {
  text <- paste(readLines(manifest_path, warn = FALSE), collapse = " ")
  hit <- regmatches(text, regexec('"name": "([^"]+)",\\s*"path": "[^"]*\\.toml"', text))[[1]]
  if (length(hit) == 2) hit[2] else basename(normalizePath(results))
}

rows <- timeline[timeline$metric %in% events, ]
rows$metric <- factor(rows$metric, levels = events)

p <- ggplot(rows, aes(x = date, colour = metric, fill = metric)) +
  geom_ribbon(aes(ymin = 100 * ci_low, ymax = 100 * ci_high), alpha = 0.2, colour = NA) +
  geom_line(aes(y = 100 * value), linewidth = 0.8) +
  scale_x_date(date_breaks = "1 month", date_labels = "%b\n%Y") +
  scale_y_continuous(limits = c(0, NA)) +
  labs(
    title = paste0(scenario, ": cumulative probability of key events"),
    x = "date",
    y = "probability, cumulative (% of runs)",
    colour = "event (95% band)",
    fill = "event (95% band)"
  ) +
  theme_minimal()

ggsave(out, p, width = 10, height = 5.6, dpi = 150)
message("wrote ", out)
