using Backprop.Data;
using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests;

/// <summary>The shipped MNIST, loaded once for a test class (<c>IClassFixture&lt;MnistFixture&gt;</c>).</summary>
public sealed class MnistFixture : IDisposable
{
    public Mnist Mnist { get; } = Mnist.Load(Repo.Data);

    public Dataset TrainDs => new(Mnist.XTrain, Mnist.YTrain);

    public Dataset ValidDs => new(Mnist.XValid, Mnist.YValid);

    /// <summary>The accuracy of <paramref name="model"/> on the 10,000 validation images (whatever device the model is on).</summary>
    public double ValidAccuracy(Func<Tensor, Tensor> model, Device? device = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = device is null ? Mnist.XValid : Mnist.XValid.to(device);
        return Accuracy.Of(model(x).cpu(), Mnist.YValid).ToDouble();
    }

    public void Dispose() => Mnist.Dispose();
}
