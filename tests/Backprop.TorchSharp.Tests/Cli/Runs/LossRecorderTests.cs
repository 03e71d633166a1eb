using Backprop.Cli.Runs;
using Backprop.Data;
using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Runs;

[Collection(MnistGroup.Name)]
public sealed class LossRecorderTests(MnistFixture data)
{
    [Fact]
    public void Every_batch_s_loss_is_kept_per_epoch_and_they_average_to_the_epoch_s_train_loss()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using var dl = new DataLoader(new Dataset(data.Mnist.XTrain[..3000], data.Mnist.YTrain[..3000]), 64); // 47 batches, the last of 56
        var seen = new BatchCounter();
        using var recorder = new LossRecorder(seen);
        var options = new FitOptions { FirstEpoch = 4, OnBatch = recorder.Batch, OnEpoch = r => { recorder.Epoch(r with { ValidLoss = 0.1 }); return true; } };

        List<EpochResult> results;
        using (model)
        using (opt)
            results = [.. Fit.Run(2, model, LossFunc.CrossEntropy, opt, dl, null, options)];

        Assert.Equal([4, 5], recorder.Losses.Keys.Order());
        foreach (var r in results)
        {
            var losses = recorder.Losses[r.Epoch];
            Assert.Equal(47, losses.Length);
            Assert.Equal(r.TrainLoss, losses.Average(v => (double)v), 1e-5); // Fit sums them on the device; the recorder keeps each
        }
        Assert.InRange(recorder.Losses[4][0], 2.0, 2.6);                    // an untrained model's first batch: about ln 10
        Assert.True(recorder.Losses[5].Average(v => v) < recorder.Losses[4].Take(10).Average(v => v));
        Assert.Equal(94, seen.Batches);                                     // the display behind it saw every batch too
    }

    [Fact]
    public void An_epoch_that_diverged_or_never_ended_is_not_kept_and_nothing_stays_alive()
    {
        using var recorder = new LossRecorder(new BatchCounter());
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Batches(int epoch, float value, int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                recorder.Batch(new BatchProgress(epoch, i, 3, tensor(value), zeros([]), clock));
            }
        }

        Batches(1, 0.5f, 3);
        recorder.Epoch(new EpochResult(1, 0.5, 0.4, 0.9, 1));
        Batches(2, float.NaN, 3);
        recorder.Epoch(new EpochResult(2, double.NaN, double.NaN, double.NaN, 1));
        Batches(3, 0.4f, 2); // interrupted after two batches
        recorder.Dispose();

        Assert.Equal([1], recorder.Losses.Keys);
        Assert.Equal([0.5f, 0.5f, 0.5f], recorder.Losses[1]);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private sealed class BatchCounter : SilentObserver
    {
        public int Batches { get; private set; }

        public override void Batch(BatchProgress progress) => Batches++;
    }
}
