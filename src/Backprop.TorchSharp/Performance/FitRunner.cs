using Backprop.Data;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary><see cref="BenchMode.Final"/>, <see cref="BenchMode.Shuffled"/> and <see cref="BenchMode.Manual"/>: an <see cref="ITrainStep"/> through <see cref="Fit"/>, one epoch at a time.</summary>
internal sealed class FitRunner(ITrainStep step, DataLoader dl, IDisposable owned) : IEpochRunner
{
    private int _epoch;

    public void RunEpoch() => Fit.Run(1, step, LossFunc.CrossEntropy, dl, null, new FitOptions { FirstEpoch = _epoch++ });

    public void Dispose()
    {
        dl.Dispose();
        owned.Dispose();
    }

    /// <summary>The final stage: <c>GetModel</c>'s Sequential and SGD with <see cref="AutogradStep"/>.</summary>
    public static FitRunner Autograd(Dataset ds, int bs, int nh, Device device, bool shuffle)
    {
        var (model, opt) = Models.GetModel(0.5, nh, device);
        return new FitRunner(new AutogradStep(model, LossFunc.CrossEntropy, opt), new DataLoader(ds, bs, shuffle: shuffle, device: device), new Owned(opt, model));
    }

    /// <summary>Lesson 03's manual path: <see cref="Scratch.ManualClassifier"/> with <see cref="ManualStep"/>.</summary>
    public static FitRunner Manual(Dataset ds, int bs, int nh, Device device)
    {
        var model = Scratch.ManualClassifier.Create(nh: nh, device: device);
        return new FitRunner(new ManualStep(model, LossKind.CrossEntropy, 0.5), new DataLoader(ds, bs, device: device), model);
    }

    private sealed class Owned(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var d in items) d.Dispose();
        }
    }
}
