using System.Text.Json;
using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Tests.Cli.Runs;

public sealed class MetricsLogTests
{
    [Fact]
    public void A_line_has_the_five_keys_and_counts_epochs_from_one()
    {
        var line = MetricsLog.Line(new EpochResult(1, 0.31, 0.15, 0.9557, 0.36));

        using var doc = JsonDocument.Parse(line);
        Assert.Equal(["epoch", "train_loss", "valid_loss", "valid_accuracy", "seconds"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, doc.RootElement.GetProperty("epoch").GetInt32());
        Assert.Equal(0.9557, doc.RootElement.GetProperty("valid_accuracy").GetDouble());
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void A_missing_measurement_is_null_and_parses_back_as_NaN()
    {
        var r = new EpochResult(4, 0.2, double.NaN, double.NaN, 1.25);

        var line = MetricsLog.Line(r);

        Assert.Contains("\"valid_loss\":null", line);
        Assert.Equal(r, MetricsLog.Parse(line));
    }

    [Fact]
    public void Write_puts_one_line_per_epoch()
    {
        using var dir = new TempDir();
        EpochResult[] history = [new(1, 0.5, 0.4, 0.9, 1), new(2, 0.3, 0.2, 0.95, 1)];

        MetricsLog.Write(dir.File("m.jsonl"), history);

        Assert.Equal(history, File.ReadAllLines(dir.File("m.jsonl")).Select(MetricsLog.Parse));
    }
}
