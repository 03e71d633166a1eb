using System.Diagnostics;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class BatchProgressTests
{
    [Fact]
    public void The_running_loss_is_the_mean_of_the_batches_so_far_and_the_rate_counts_them_over_the_epoch_s_clock()
    {
        using var loss = tensor(1.25f);
        using var lossSum = tensor(6.0f);

        var clock = Stopwatch.StartNew();
        Thread.Sleep(20);
        clock.Stop();

        var progress = new BatchProgress(epoch: 2, batch: 3, batchCount: 10, loss, lossSum, clock);

        Assert.Equal(1.5, progress.RunningLoss());
        Assert.InRange(progress.BatchesPerSecond(), 1, 4 / 0.020); // 4 batches (0 to 3) in the 20 ms or more the clock ran
        var later = new BatchProgress(epoch: 2, batch: 7, batchCount: 10, loss, lossSum, clock);
        Assert.Equal(2, later.BatchesPerSecond() / progress.BatchesPerSecond(), 12); // 8 batches against 4 on the same stopped clock
        Assert.Equal((2, 3, 10), (progress.Epoch, progress.Batch, progress.BatchCount));
        Assert.Same(loss, progress.Loss);
    }
}
