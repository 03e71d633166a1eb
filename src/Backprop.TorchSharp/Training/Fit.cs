using System.Diagnostics;
using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's <c>fit(epochs, model, loss_func, opt, train_dl, valid_dl)</c>: train an epoch, then validate it, and report
/// the validation loss and accuracy weighted by batch size.
/// </summary>
/// <remarks>
/// Each batch runs in its own dispose scope, which also holds the batch itself. Losses and correct counts are summed on
/// the device; the host reads them once per epoch (one transfer of three numbers), never per step.
/// </remarks>
public static class Fit
{
    /// <summary>The lesson's <c>fit</c>, with autograd: <see cref="AutogradStep"/> over (model, lossFunc, opt).</summary>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="model">The model, on the loaders' device.</param>
    /// <param name="lossFunc">The loss of (preds, yb), a 0-dim mean; also the validation loss.</param>
    /// <param name="opt">The optimizer over the model's parameters.</param>
    /// <param name="trainDl">Training batches.</param>
    /// <param name="validDl">Validation batches; <see langword="null"/> to skip validation (ValidLoss and ValidAccuracy are NaN).</param>
    /// <param name="options">Hooks, cancellation and the first epoch's number.</param>
    public static IReadOnlyList<EpochResult> Run(int epochs, nn.Module<Tensor, Tensor> model, Func<Tensor, Tensor, Tensor> lossFunc,
        optim.Optimizer opt, DataLoader trainDl, DataLoader? validDl, FitOptions? options = null) =>
        Run(epochs, new AutogradStep(model, lossFunc, opt), lossFunc, trainDl, validDl, options);

    /// <summary>Trains any <see cref="ITrainStep"/> (autograd or hand-written gradients) for <paramref name="epochs"/>.</summary>
    /// <param name="epochs">Epochs to train.</param>
    /// <param name="step">One training step and the model's predictions.</param>
    /// <param name="lossFunc">The validation loss of (preds, yb), a 0-dim mean.</param>
    /// <param name="trainDl">Training batches.</param>
    /// <param name="validDl">Validation batches; <see langword="null"/> to skip validation (ValidLoss and ValidAccuracy are NaN).</param>
    /// <param name="options">Hooks, cancellation and the first epoch's number.</param>
    /// <returns>One result per epoch trained (fewer than <paramref name="epochs"/> when <see cref="FitOptions.OnEpoch"/> stopped it).</returns>
    /// <exception cref="OperationCanceledException">The options' token was cancelled.</exception>
    public static IReadOnlyList<EpochResult> Run(int epochs, ITrainStep step, Func<Tensor, Tensor, Tensor> lossFunc,
        DataLoader trainDl, DataLoader? validDl, FitOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        options ??= FitOptions.Default;
        var results = new List<EpochResult>(epochs);
        for (var epoch = options.FirstEpoch; epoch < options.FirstEpoch + epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            using var trainLoss = Train(epoch, step, trainDl, options, clock);
            var (valid, validCount) = validDl is null ? (null, 0) : Validate(step, lossFunc, validDl, options.CancellationToken);
            using var validSums = valid;
            var result = Read(epoch, trainLoss, trainDl.Count, validSums, validCount, clock);
            results.Add(result);
            if (options.OnEpoch?.Invoke(result) == false) break;
        }
        return results;
    }

    /// <summary>One epoch of training; returns the sum of the batch losses, 0-dim, on the device.</summary>
    private static Tensor Train(int epoch, ITrainStep step, DataLoader dl, FitOptions options, Stopwatch clock)
    {
        step.SetTraining(true);
        var lossSum = zeros([], device: dl.Device).DetachFromDisposeScope();
        try
        {
            using var batches = dl.GetEnumerator();
            for (var i = 0; ; i++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (xb, yb) = batches.Current;
                lossSum.add_(step.Step(xb, yb));
                options.OnBatch?.Invoke(new BatchProgress(epoch, i, dl.Count, lossSum, clock));
            }
            return lossSum;
        }
        catch
        {
            lossSum.Dispose();
            throw;
        }
    }

    /// <summary>Validation under no_grad; returns (sum of n · batch loss, correct count), a (2) tensor on the device, and the number of samples.</summary>
    private static (Tensor? Sums, long Count) Validate(ITrainStep step, Func<Tensor, Tensor, Tensor> lossFunc, DataLoader dl, CancellationToken cancel)
    {
        step.SetTraining(false);
        using var noGrad = no_grad();
        var lossSum = zeros([], device: dl.Device).DetachFromDisposeScope();
        var correct = zeros([], device: dl.Device).DetachFromDisposeScope();
        long count = 0;
        try
        {
            using var batches = dl.GetEnumerator();
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (xb, yb) = batches.Current;
                var preds = step.Predict(xb);
                var n = xb.shape[0];
                using var weight = n.ToScalar();
                lossSum.add_(lossFunc(preds, yb), weight);
                correct.add_(Accuracy.Correct(preds, yb));
                count += n;
            }
            return (stack([lossSum, correct]).DetachFromDisposeScope(), count);
        }
        finally
        {
            lossSum.Dispose();
            correct.Dispose();
        }
    }

    /// <summary>The epoch's one host read: train loss sum, and validation sums when there are any.</summary>
    private static EpochResult Read(int epoch, Tensor trainLoss, int batches, Tensor? valid, long validCount, Stopwatch clock)
    {
        using var scope = NewDisposeScope();
        var sums = (valid is null ? trainLoss.reshape(1) : cat([trainLoss.reshape(1), valid])).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var validLoss = valid is null ? double.NaN : sums[1] / validCount;
        var validAccuracy = valid is null ? double.NaN : sums[2] / validCount;
        return new EpochResult(epoch, sums[0] / batches, validLoss, validAccuracy, clock.Elapsed.TotalSeconds);
    }
}
