// fast.ai course 2022 part 2, notebook 03_backprop, in C#: the forward and backward passes of a 784-50-1 MSE model
// by hand, then as layer classes, on a Module base, and with autograd, each checked against autograd as the course's
// test_close cells do. Run from the repository root: dotnet run notebooks/03_backprop.cs
#:project ../src/Backprop.TorchSharp

using Backprop.Data;
using Backprop.Display;
using static TorchSharp.torch;

var failures = 0;

Section("Setup");
// The course: torch.manual_seed(42); torch.set_printoptions(precision=2, linewidth=125, sci_mode=False).
Backprop.Native.TorchNative.EnsureLoaded(); // the library's Linux loader fix, before TorchSharp starts
manual_seed(42);
using var mnist = Mnist.Load(Mnist.DefaultDirectory());
var (xTrain, yTrain, xValid, yValid) = (mnist.XTrain, mnist.YTrain, mnist.XValid, mnist.YValid);

Section("Basic architecture");
var (n, m) = (xTrain.shape[0], xTrain.shape[1]);
var c = yTrain.max() + 1;
Console.WriteLine($"n, m, c = ({n}, {m}, {Str(c)})");
const int nh = 50; // hidden units
var w1 = randn(m, nh);
var b1 = zeros(nh);
var w2 = randn(nh, 1);
var b2 = zeros(1);

// A linear layer is a matrix multiply plus a bias.
static Tensor Lin(Tensor x, Tensor w, Tensor b) => x.matmul(w) + b;
var t = Lin(xValid, w1, b1);
Console.WriteLine($"lin(x_valid, w1, b1).shape = {Shape(t)}");

// ReLU replaces the negatives with zero.
static Tensor Relu(Tensor x) => x.clamp_min(0.0);
t = Relu(t);
Show("relu(t)", t);

Tensor Model(Tensor xb) => Lin(Relu(Lin(xb, w1, b1)), w2, b2);
var res = Model(xValid);
Console.WriteLine($"model(x_valid).shape = {Shape(res)}");

Section("Loss function: MSE");
Show("y_valid", yValid);
Show("res", res);
// res is (10000, 1) and y_valid is (10000): subtracting them would broadcast to (10000, 10000). Take column 0 first.
Show("res[:,0]", res[.., 0]);
Show("res.squeeze()", res.squeeze());
Show("res[:,0] - y_valid", res[.., 0] - yValid);
var yTrainF = yTrain.to_type(ScalarType.Float32);
var preds = Model(xTrain);
Console.WriteLine($"preds.shape = {Shape(preds)}");
static Tensor Mse(Tensor output, Tensor targ) => (output[.., 0] - targ).pow(2).mean();
Show("mse(preds, y_train)", Mse(preds, yTrainF));

Section("Gradients and backward pass");
// The chain rule, layer by layer from the loss back: each layer gets dL/dout and computes dL/dinp, dL/dw, dL/db.
static (Tensor InpG, Tensor WG, Tensor BG) LinGrad(Tensor inp, Tensor outG, Tensor w) => (
    outG.matmul(w.t()),   // dL/dinp = dL/dout · wᵀ
    inp.t().matmul(outG), // dL/dw = inpᵀ · dL/dout (the course's (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(dim: 0))
    outG.sum(dim: 0));         // dL/db = Σₙ dL/dout

(Tensor X, Tensor W1, Tensor B1, Tensor W2, Tensor B2) ForwardAndBackward(Tensor inp, Tensor targ)
{
    // forward pass:
    var l1 = Lin(inp, w1, b1);
    var l2 = Relu(l1);
    var output = Lin(l2, w2, b2);
    var diff = output[.., 0] - targ;
    // backward pass:
    var outG = 2.0 * diff.unsqueeze(1) / inp.shape[0];   // dL/dout of the mean of diff²
    var (l2G, w2G, b2G) = LinGrad(l2, outG, w2);
    var l1G = (l1 > 0).to_type(ScalarType.Float32) * l2G; // ReLU passes the gradient where its input was positive
    var (inpG, w1G, b1G) = LinGrad(inp, l1G, w1);
    return (inpG, w1G, b1G, w2G, b2G);
}
var grads = ForwardAndBackward(xTrain, yTrainF);
Console.WriteLine($"x.g {Shape(grads.X)}, w1.g {Shape(grads.W1)}, b1.g {Shape(grads.B1)}, w2.g {Shape(grads.W2)}, b2.g {Shape(grads.B2)}");
Show("b1.g", grads.B1);

Section("Check against autograd");
// Clone the leaves with requires_grad, run the same forward with PyTorch's autograd, and compare (test_close, eps=0.01).
var (xt, w1t, b1t, w2t, b2t) = (Leaf(xTrain), Leaf(w1), Leaf(b1), Leaf(w2), Leaf(b2));
var lossT = Mse(Lin(Relu(Lin(xt, w1t, b1t)), w2t, b2t), yTrainF);
lossT.backward();
TestClose("w1.g", grads.W1, w1t.grad!);
TestClose("b1.g", grads.B1, b1t.grad!);
TestClose("w2.g", grads.W2, w2t.grad!);
TestClose("b2.g", grads.B2, b2t.grad!);
TestClose("x.g", grads.X, xt.grad!);

Section("Refactor model: layers as classes");
// Each layer keeps what its forward saw, so that backward can use it: the course's Relu, Lin and Mse classes.
var model = new ClassModel(new ClassLin(w1, b1), new ClassRelu(), new ClassLin(w2, b2));
var loss = model.Forward(xTrain, yTrainF);
Show("loss", loss);
model.Backward();
TestClose("classes: w1.g", model.L1.WG!, w1t.grad!);
TestClose("classes: b1.g", model.L1.BG!, b1t.grad!);
TestClose("classes: w2.g", model.L2.WG!, w2t.grad!);
TestClose("classes: b2.g", model.L2.BG!, b2t.grad!);
TestClose("classes: x.g", model.InpG!, xt.grad!);

Section("Module.forward()");
// A Module base saves the inputs and the output; a layer only writes Forward and Bwd, the math.
var mmodel = new ModuleModel(new ModLin(w1, b1), new ModRelu(), new ModLin(w2, b2));
Show("loss", mmodel.Forward(xTrain, yTrainF));
mmodel.Backward();
TestClose("Module: w1.g", mmodel.L1.WG!, w1t.grad!);
TestClose("Module: b1.g", mmodel.L1.BG!, b1t.grad!);
TestClose("Module: w2.g", mmodel.L2.WG!, w2t.grad!);
TestClose("Module: b2.g", mmodel.L2.BG!, b2t.grad!);
TestClose("Module: x.g", mmodel.InpG!, xt.grad!);

Section("Autograd");
// The framework's way: a module whose weights require grad, F.mse_loss, and loss.backward().
using var amodel = new Backprop.Scratch.Autograd.Model(m, nh, 1);
var aloss = amodel.call(xTrain, yTrainF);
aloss.backward();
Show("loss", aloss);
Show("l0.b.grad", ((Backprop.Scratch.Autograd.Linear)amodel.Layers[0]).B.grad!);

Section("Summary");
Console.WriteLine(failures == 0 ? "all gradient checks passed" : $"{failures} gradient check(s) FAILED");
return failures == 0 ? 0 : 1;

static Tensor Leaf(Tensor t) => t.detach().clone().requires_grad_();
static string Str(Tensor t) => TensorFormat.Str(t);
static string Shape(Tensor t) => $"torch.Size([{string.Join(", ", t.shape)}])";
static void Section(string title) => Console.WriteLine($"\n## {title}");
static void Show(string label, Tensor t) => Console.WriteLine($"{label}:\n{TensorFormat.Str(t)}");

void TestClose(string name, Tensor a, Tensor b, double eps = 0.01)
{
    var diff = (a - b).abs().max().item<float>();
    var pass = diff < eps;
    if (!pass) failures++;
    Console.WriteLine($"test_close {name}: {(pass ? "pass" : "FAIL")} (max |a - b| = {diff:E2}, eps {eps})");
}

/// <summary>ReLU that remembers its input for backward.</summary>
sealed class ClassRelu
{
    private Tensor _inp = null!;
    public Tensor Out { get; private set; } = null!;
    public Tensor Call(Tensor inp) => Out = (_inp = inp).clamp_min(0.0);
    public Tensor Backward(Tensor outG) => (_inp > 0).to_type(ScalarType.Float32) * outG; // dL/dinp = dL/dout ⊙ 1[inp > 0]
}

/// <summary>A linear layer that remembers its input and keeps dL/dw and dL/db.</summary>
sealed class ClassLin(Tensor w, Tensor b)
{
    private Tensor _inp = null!;
    public Tensor? WG { get; private set; }
    public Tensor? BG { get; private set; }
    public Tensor Call(Tensor inp) => (_inp = inp).matmul(w) + b;
    public Tensor Backward(Tensor outG)
    {
        WG = _inp.t().matmul(outG); // dL/dw = inpᵀ · dL/dout
        BG = outG.sum(dim: 0);           // dL/db = Σₙ dL/dout
        return outG.matmul(w.t());  // dL/dinp = dL/dout · wᵀ
    }
}

/// <summary>MSE that remembers its inputs.</summary>
sealed class ClassMse
{
    private Tensor _inp = null!, _targ = null!;
    public Tensor Call(Tensor inp, Tensor targ) => ((_inp = inp)[.., 0] - (_targ = targ)).pow(2).mean();
    public Tensor Backward() => 2.0 * (_inp[.., 0] - _targ).unsqueeze(-1) / _targ.shape[0]; // dL/dinp = 2 (inp - targ) / N
}

/// <summary>The course's Model: the layers, then the loss; backward runs them in reverse.</summary>
sealed class ClassModel(ClassLin l1, ClassRelu relu, ClassLin l2)
{
    private readonly ClassMse _loss = new();
    public ClassLin L1 => l1;
    public ClassLin L2 => l2;
    public Tensor? InpG { get; private set; }
    public Tensor Forward(Tensor x, Tensor targ) => _loss.Call(l2.Call(relu.Call(l1.Call(x))), targ);
    public void Backward() => InpG = l1.Backward(relu.Backward(l2.Backward(_loss.Backward())));
}

/// <summary>The course's Module: __call__ saves the args and the output, backward hands them to bwd.</summary>
abstract class Module
{
    protected Tensor[] Args { get; private set; } = [];
    protected Tensor Out { get; private set; } = null!;
    public Tensor Call(params Tensor[] args) => Out = Forward(Args = args);
    public Tensor Backward(Tensor outG) => Bwd(Out, outG, Args);
    protected abstract Tensor Forward(Tensor[] args);
    protected abstract Tensor Bwd(Tensor output, Tensor outG, Tensor[] args);
}

sealed class ModRelu : Module
{
    protected override Tensor Forward(Tensor[] a) => a[0].clamp_min(0.0);
    protected override Tensor Bwd(Tensor output, Tensor outG, Tensor[] a) => (a[0] > 0).to_type(ScalarType.Float32) * outG;
}

sealed class ModLin(Tensor w, Tensor b) : Module
{
    public Tensor? WG { get; private set; }
    public Tensor? BG { get; private set; }
    protected override Tensor Forward(Tensor[] a) => a[0].matmul(w) + b;
    protected override Tensor Bwd(Tensor output, Tensor outG, Tensor[] a)
    {
        WG = a[0].t().matmul(outG);
        BG = outG.sum(dim: 0);
        return outG.matmul(w.t());
    }
}

sealed class ModMse : Module
{
    protected override Tensor Forward(Tensor[] a) => (a[0][.., 0] - a[1]).pow(2).mean();
    protected override Tensor Bwd(Tensor output, Tensor outG, Tensor[] a) => 2.0 * (a[0][.., 0] - a[1]).unsqueeze(-1) / a[1].shape[0] * outG;
}

sealed class ModuleModel(ModLin l1, ModRelu relu, ModLin l2)
{
    private readonly ModMse _loss = new();
    public ModLin L1 => l1;
    public ModLin L2 => l2;
    public Tensor? InpG { get; private set; }
    public Tensor Forward(Tensor x, Tensor targ) => _loss.Call(l2.Call(relu.Call(l1.Call(x))), targ);
    public void Backward()
    {
        using var one = tensor(1.0f);
        InpG = l1.Backward(relu.Backward(l2.Backward(_loss.Backward(one))));
    }
}
