using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class BatchProgressTests
{
    [Fact]
    public void The_running_loss_is_the_mean_of_the_batches_so_far()
    {
        using var lossSum = tensor(6.0f);

        var progress = new BatchProgress(epoch: 2, batch: 3, batchCount: 10, lossSum);

        Assert.Equal(1.5, progress.RunningLoss());
        Assert.Equal((2, 3, 10), (progress.Epoch, progress.Batch, progress.BatchCount));
    }
}
