# Draw the main timeline of a brink run with ggplot2.
#
# Usage: Rscript examples/plot_timeline.R RESULTS_DIR [OUT.png]
#
# Reads RESULTS_DIR/timeline.csv and plots the cumulative probability of the scenario's first
# six event metrics over the calendar, each with its 95% interval as a band. Event metrics are
# the rows of summary.csv whose kind is "probability"; the other timeline metrics are daily
# states. Needs the ggplot2 package: install.packages("ggplot2").

library(ggplot2)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1 || length(args) > 2) {
  stop("usage: Rscript examples/plot_timeline.R RESULTS_DIR [OUT.png]")
}
results <- args[1]
out <- if (length(args) == 2) args[2] else file.path(results, "timeline_ggplot.png")

timeline <- read.csv(file.path(results, "timeline.csv"))
timeline$date <- as.Date(timeline$date)
summary <- read.csv(file.path(results, "summary.csv"))
events <- head(summary$metric[summary$kind == "probability"], 6)

# The scenario's name is in manifest.json; without jsonlite, the directory's name stands in.
scenario <- if (requireNamespace("jsonlite", quietly = TRUE)) {
  jsonlite::fromJSON(file.path(results, "manifest.json"))$scenario$name
} else {
  basename(normalizePath(results))
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
