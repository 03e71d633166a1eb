using Backprop.Cli.Display;

namespace Backprop.Tests.Cli;

/// <summary>The epoch's and the run's time left, on made-up clocks (what the displays measure is never asserted).</summary>
public sealed class EtaTests
{
    private static double Seconds(TimeSpan t) => t.TotalSeconds; // to 100 ns: compared to 6 places

    [Fact]
    public void Nothing_is_estimated_before_the_first_batch()
    {
        var eta = new Eta(epochs: 3, trainBatches: 10, validBatches: 4);

        Assert.Null(eta.Left());
        Assert.Equal("", eta.Describe());
    }

    [Fact]
    public void In_the_first_epoch_validation_is_estimated_from_the_training_batches()
    {
        var eta = new Eta(epochs: 2, trainBatches: 10, validBatches: 4);
        for (var b = 1; b <= 5; b++) eta.Train(b, at: b); // 1 s a batch

        var (epoch, run) = eta.Left()!.Value;

        // 5 training batches left at 1 s, 4 validation batches at two thirds of a training batch (8/3 s); then one more such
        // epoch, 10 s and 8/3 s.
        Assert.Equal(23.0 / 3, Seconds(epoch), 6);
        Assert.Equal(61.0 / 3, Seconds(run), 6);
    }

    [Fact]
    public void While_validating_the_epoch_has_only_its_validation_batches_left_at_their_measured_pace()
    {
        var eta = new Eta(epochs: 2, trainBatches: 10, validBatches: 4);
        for (var b = 1; b <= 10; b++) eta.Train(b, at: b);
        eta.Valid(1, at: 10.5);
        eta.Valid(2, at: 11); // 0.5 s a validation batch

        var (epoch, run) = eta.Left()!.Value;

        Assert.Equal(2 * 0.5, Seconds(epoch), 6);
        Assert.Equal(1 + (10 * 1) + (4 * 0.5), Seconds(run), 6); // the next epoch at the paces measured
    }

    [Fact]
    public void After_an_epoch_the_run_counts_whole_epochs_as_they_took_writes_included()
    {
        var eta = new Eta(epochs: 3, trainBatches: 10, validBatches: 4);
        for (var b = 1; b <= 10; b++) eta.Train(b, at: b);
        for (var b = 1; b <= 4; b++) eta.Valid(b, at: 10 + (0.5 * b));
        eta.EpochEnded(at: 12);
        eta.Train(1, at: 14); // the checkpoint's write after epoch 1 falls on this batch
        eta.Train(2, at: 15);

        var (epoch, run) = eta.Left()!.Value;

        // Training batches: 12 timed in 13 s (10 in epoch 1, then 2 s and 1 s); less the run's first (1 s): 12 s over 11.
        var perTrain = (13.0 - 1) / 11;
        Assert.Equal((8 * perTrain) + (4 * 0.5), Seconds(epoch), 6);
        Assert.Equal(Seconds(epoch) + 12, Seconds(run), 6); // one epoch after this one, as long as epoch 1 took
    }

    [Fact]
    public void The_runs_first_batch_which_warms_up_does_not_weigh_on_the_pace()
    {
        var eta = new Eta(epochs: 1, trainBatches: 100, validBatches: 0);
        eta.Train(1, at: 5); // JIT and allocator
        eta.Train(2, at: 5.1);
        eta.Train(3, at: 5.2);

        Assert.Equal(97 * 0.1, Seconds(eta.Left()!.Value.Epoch), 6);
    }

    [Fact]
    public void The_last_epoch_has_no_more_after_it_and_nothing_goes_below_zero()
    {
        var eta = new Eta(epochs: 1, trainBatches: 2, validBatches: 1);
        eta.Train(1, at: 1);
        eta.Train(2, at: 2);
        eta.Valid(1, at: 2.5);

        var (epoch, run) = eta.Left()!.Value;

        Assert.Equal(TimeSpan.Zero, epoch);
        Assert.Equal(TimeSpan.Zero, run);
        Assert.Equal("ETA epoch 0:00, run 0:00", eta.Describe());
    }

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(59.9, "0:59")]
    [InlineData(61, "1:01")]
    [InlineData(3 * 3600 + 62, "3:01:02")]
    public void Clock_is_minutes_and_seconds_then_hours(double seconds, string expected)
    {
        Assert.Equal(expected, Eta.Clock(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void The_live_lines_show_the_pass_its_place_and_both_etas_within_120_columns()
    {
        var train = LiveTrainDisplay.TrainLine(2, 5, 520, 1000, 3125, 0.1234, TimeSpan.FromSeconds(3), "ETA epoch 0:01, run 0:10");
        var valid = LiveTrainDisplay.ValidationLine(2, 5, 20, 50, TimeSpan.FromSeconds(4), "ETA epoch 0:00, run 0:07");

        Assert.Equal("epoch 2/5 [green]" + new string('━', 15) + new string('─', 15) + "[/]  52%    3125 batches/s  loss 0.1234  elapsed 0:03  ETA epoch 0:01, run 0:10", train);
        Assert.Equal("epoch 2/5 [blue]" + new string('━', 12) + new string('─', 18) + "[/]  40%  validating 20/50  elapsed 0:04  ETA epoch 0:00, run 0:07", valid);
        foreach (var line in new[] { train, valid })
            Assert.InRange(Spectre.Console.Markup.Remove(line).Length, 1, 120); // the live test's terminal, and a common width
    }
}
