using Backprop.Data;
using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

[Collection(MnistGroup.Name)]
public sealed class FitTests(MnistFixture data)
{
    [Fact]
    public void With_the_lesson_s_settings_validation_accuracy_reaches_the_course_s_level_within_5_epochs()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel(lr: 0.5, nh: 50);
        using var dls = DataLoaders.GetDls(data.TrainDs, data.ValidDs, bs: 50);
        using (model)
        using (opt)
        {
            var results = Fit.Run(5, model, LossFunc.CrossEntropy, opt, dls.Train, dls.Valid);

            // Seed 1 gives 0.9681 at its best epoch on one thread, as PyTorch does (Reference/PyTorchReferenceTests); the last
            // digits depend on the thread count. Across seeds 1 to 30 the best of 5 epochs spans 0.966 to 0.973, and the
            // course's own fresh runs of this fit ended at 0.9678 and 0.9739: 0.97 sits inside that noise, so the test asks
            // for the level every seed reaches.
            Assert.Equal([1, 2, 3, 4, 5], results.Select(r => r.Epoch));
            Assert.True(results.Max(r => r.ValidAccuracy) >= 0.965, string.Join("; ", results));
            Assert.True(results[^1].TrainLoss < results[0].TrainLoss);
            Assert.True(results[^1].ValidLoss < 0.15);
            Assert.All(results, r => Assert.True(r.Seconds > 0));
        }
    }

    [Fact]
    public void Validation_is_weighted_by_batch_size_so_it_equals_the_whole_set_at_once()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using var trainDl = new DataLoader(new Dataset(data.Mnist.XTrain[..5000], data.Mnist.YTrain[..5000]), 50);
        using var validDl = new DataLoader(data.ValidDs, 300); // 33 batches of 300, then one of 100
        using (model)
        using (opt)
        using (var scope = NewDisposeScope())
        {
            var result = Fit.Run(1, model, LossFunc.CrossEntropy, opt, trainDl, validDl).Single();

            using var noGrad = no_grad();
            var preds = model.call(data.Mnist.XValid);
            Assert.Equal(LossFunc.CrossEntropy(preds, data.Mnist.YValid).item<float>(), result.ValidLoss, 1e-5);
            Assert.Equal(Accuracy.Of(preds, data.Mnist.YValid).item<float>(), result.ValidAccuracy, 1e-6);
        }
    }

    [Fact]
    public void The_train_loss_is_the_mean_of_the_batch_losses()
    {
        using var trainDl = new DataLoader(data.ValidDs, 1000); // labels' means per batch are known on the host
        var expected = Enumerable.Range(0, 10).Average(b => data.Mnist.YValid[(b * 1000)..((b + 1) * 1000)].to_type(ScalarType.Float32).mean().item<float>());

        var result = Fit.Run(1, new LabelMeanStep(), LossFunc.CrossEntropy, trainDl, null).Single();

        Assert.Equal(expected, result.TrainLoss, 1e-5);
        Assert.True(double.IsNaN(result.ValidLoss));
        Assert.True(double.IsNaN(result.ValidAccuracy));
    }

    [Fact]
    public void Hooks_see_every_batch_and_epoch_and_can_stop_training()
    {
        using var trainDl = new DataLoader(data.ValidDs, 2500);
        var batches = new List<(int Epoch, int Batch, int Count, double Running, double Loss)>();
        var epochs = new List<EpochResult>();
        var options = new FitOptions
        {
            FirstEpoch = 7,
            OnBatch = p => batches.Add((p.Epoch, p.Batch, p.BatchCount, p.RunningLoss(), p.Loss.ToDouble())),
            OnEpoch = r =>
            {
                epochs.Add(r);
                return r.Epoch < 8;
            },
        };

        var results = Fit.Run(5, new LabelMeanStep(), LossFunc.CrossEntropy, trainDl, null, options);

        Assert.Equal([7, 8], results.Select(r => r.Epoch));
        Assert.Equal(results, epochs);
        Assert.Equal([(7, 0, 4), (7, 1, 4), (7, 2, 4), (7, 3, 4), (8, 0, 4), (8, 1, 4), (8, 2, 4), (8, 3, 4)], batches.Select(b => (b.Epoch, b.Batch, b.Count)));
        Assert.Equal(results[0].TrainLoss, batches[3].Running, 1e-5);
        foreach (var b in batches) // each batch's own loss (the step's: its labels' mean), not the sum so far
        {
            using var labels = data.Mnist.YValid[(2500 * b.Batch)..(2500 * (b.Batch + 1))].to_type(ScalarType.Float32);
            Assert.Equal(labels.mean().ToDouble(), b.Loss, 1e-5);
        }
    }

    [Fact]
    public void The_validation_hook_sees_every_validation_batch_after_the_epochs_training_and_before_its_result()
    {
        using var trainDl = new DataLoader(data.ValidDs, 5000);
        using var validDl = new DataLoader(data.ValidDs, 3000); // 3 of 3000, then one of 1000
        var seen = new List<string>();
        var options = new FitOptions
        {
            FirstEpoch = 3,
            OnBatch = p => seen.Add($"train {p.Epoch} {p.Batch}/{p.BatchCount}"),
            OnValidationBatch = p => seen.Add($"valid {p.Epoch} {p.Batch}/{p.BatchCount}"),
            OnEpoch = r =>
            {
                seen.Add($"epoch {r.Epoch}");
                return true;
            },
        };

        Fit.Run(2, new LabelMeanStep(), LossFunc.CrossEntropy, trainDl, validDl, options);

        Assert.Equal(
        [
            "train 3 0/2", "train 3 1/2", "valid 3 0/4", "valid 3 1/4", "valid 3 2/4", "valid 3 3/4", "epoch 3",
            "train 4 0/2", "train 4 1/2", "valid 4 0/4", "valid 4 1/4", "valid 4 2/4", "valid 4 3/4", "epoch 4",
        ], seen);
    }

    [Fact]
    public void Cancellation_is_checked_between_batches()
    {
        using var trainDl = new DataLoader(data.ValidDs, 100);
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        var options = new FitOptions
        {
            CancellationToken = cancel.Token,
            OnBatch = p =>
            {
                if (++seen == 3) cancel.Cancel();
            },
        };

        Assert.Throws<OperationCanceledException>(() => Fit.Run(1, new LabelMeanStep(), LossFunc.CrossEntropy, trainDl, null, options));
        Assert.Equal(3, seen);
    }

    [Fact]
    public void Live_tensors_do_not_grow_from_epoch_to_epoch()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using var dls = DataLoaders.GetDls(new Dataset(data.Mnist.XTrain[..10000], data.Mnist.YTrain[..10000]), data.ValidDs, 50);
        var live = new List<long>();
        var options = new FitOptions
        {
            OnEpoch = _ =>
            {
                live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                return true;
            },
        };
        using (model)
        using (opt)
        {
            Fit.Run(4, model, LossFunc.CrossEntropy, opt, dls.Train, dls.Valid, options);
        }

        Assert.Equal(4, live.Count);
        Assert.All(live, n => Assert.Equal(live[0], n));
    }

    [Fact]
    public void Negative_epochs_are_refused()
    {
        using var dl = new DataLoader(data.ValidDs, 100);

        Assert.Throws<ArgumentOutOfRangeException>(() => Fit.Run(-1, new LabelMeanStep(), LossFunc.CrossEntropy, dl, null));
    }

    [CudaFact]
    public void With_the_lesson_s_settings_on_cuda_validation_accuracy_reaches_the_course_s_level_within_5_epochs()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel(device: CUDA);
        using var dls = DataLoaders.GetDls(data.TrainDs, data.ValidDs, 50, CUDA);
        using (model)
        using (opt)
        {
            var results = Fit.Run(5, model, LossFunc.CrossEntropy, opt, dls.Train, dls.Valid);

            Assert.True(results.Max(r => r.ValidAccuracy) >= 0.965, string.Join("; ", results));
        }
    }

    /// <summary>A step with no model: its "loss" is the batch's mean label, so the epoch's mean is known in advance.</summary>
    private sealed class LabelMeanStep : ITrainStep
    {
        public Tensor Step(Tensor xb, Tensor yb) => yb.to_type(ScalarType.Float32).mean();

        public Tensor Predict(Tensor xb) => zeros(xb.shape[0], 10);
    }
}
