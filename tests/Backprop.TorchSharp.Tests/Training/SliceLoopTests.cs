using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class SliceLoopTests
{
    [Fact]
    public void Runs_the_update_after_every_backward_and_reports_each_epoch_s_last_batch()
    {
        using var scope = NewDisposeScope();
        var w = zeros(new long[] { 2, 3 }, requires_grad: true);
        var x = eye(3).repeat(4, 1)[..10]; // 10 samples, bs 3: batches of 3, 3, 3, 1
        var y = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1, 2, 0 });
        var updates = 0;
        var gradsSeen = new List<float>();

        var reports = SliceLoop.Fit(xb => xb.matmul(w.t()), x, y, () =>
        {
            using var g = w.grad!;
            gradsSeen.Add(g.abs().sum().item<float>());
            g.zero_();
            updates++;
        }, epochs: 2, bs: 3, lossFunc: (preds, yb) => nn.functional.cross_entropy(preds, yb.clamp(0, 1)));

        Assert.Equal(8, updates);
        Assert.All(gradsSeen, g => Assert.True(g > 0));
        Assert.Equal(2, reports.Count);
        Assert.Equal(Math.Log(2), reports[1].Loss, 1e-6); // the last batch alone, zero weights: uniform over 2 classes
    }

    [Fact]
    public void Epochs_and_batch_size_are_checked()
    {
        using var x = zeros(4, 2);
        using var y = zeros(4, ScalarType.Int64);

        Assert.Throws<ArgumentOutOfRangeException>(() => SliceLoop.Fit(t => t, x, y, () => { }, epochs: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SliceLoop.Fit(t => t, x, y, () => { }, bs: 0));
    }
}
